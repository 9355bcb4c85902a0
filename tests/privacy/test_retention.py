from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clearsight.policy import (
    AlertStatus,
    RecordKind,
    RetentionAction,
    RetentionPolicy,
    RetentionRecord,
    apply_plan,
    plan_deletions,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
SECOND = timedelta(seconds=1)


def alert(
    rid: str,
    status: AlertStatus,
    created: datetime,
    decided: datetime | None = None,
    *,
    evidence: bool = True,
    hold: bool = False,
) -> RetentionRecord:
    return RetentionRecord(
        RecordKind.ALERT, rid, created, status, decided, has_evidence=evidence, on_hold=hold
    )


def entry(rid: str, expires: datetime | None) -> RetentionRecord:
    return RetentionRecord(RecordKind.WATCHLIST_ENTRY, rid, NOW - 90 * D, expires_at=expires)


RECORDS = [
    # rejected: 24 h after the rejection, not after the alert
    alert("rej-due", AlertStatus.REJECTED, NOW - 30 * D, NOW - 24 * H),
    alert("rej-young", AlertStatus.REJECTED, NOW - 30 * D, NOW - 24 * H + SECOND),
    alert("rej-gone", AlertStatus.REJECTED, NOW - 30 * D, NOW - 5 * D, evidence=False),
    # confirmed: 30 days by default
    alert("conf-due", AlertStatus.CONFIRMED, NOW - 40 * D, NOW - 30 * D - SECOND),
    alert("conf-young", AlertStatus.CONFIRMED, NOW - 40 * D, NOW - 29 * D),
    alert("conf-held", AlertStatus.CONFIRMED, NOW - 400 * D, NOW - 399 * D, hold=True),
    # pending: expires 24 h after it was raised, even when the evidence is already gone
    alert("pend-due", AlertStatus.PENDING, NOW - 25 * H),
    alert("pend-young", AlertStatus.PENDING, NOW - 23 * H),
    alert("pend-noevidence", AlertStatus.PENDING, NOW - 48 * H, evidence=False),
    # unsure: 72 h after the reviewer said unsure
    alert("unsure-due", AlertStatus.UNSURE, NOW - 10 * D, NOW - 72 * H),
    alert("unsure-young", AlertStatus.UNSURE, NOW - 10 * D, NOW - 71 * H),
    # expired earlier but evidence still there (e.g. expired by hand): deleted at once
    alert("exp-evidence", AlertStatus.EXPIRED, NOW - 3 * D, NOW - SECOND),
    alert("exp-clean", AlertStatus.EXPIRED, NOW - 3 * D, NOW - 2 * D, evidence=False),
    entry("wl-due", NOW),
    entry("wl-future", NOW + SECOND),
    entry("wl-open-ended", None),
]


def test_plan_is_exactly_what_the_policy_says() -> None:
    plan = plan_deletions(RECORDS, RetentionPolicy(), NOW)
    planned = {item.record.record_id: item.action for item in plan.deletions}
    assert planned == {
        "rej-due": RetentionAction.DELETE_EVIDENCE,
        "conf-due": RetentionAction.DELETE_EVIDENCE,
        "pend-due": RetentionAction.EXPIRE_ALERT,
        "pend-noevidence": RetentionAction.EXPIRE_ALERT,
        "unsure-due": RetentionAction.EXPIRE_ALERT,
        "exp-evidence": RetentionAction.DELETE_EVIDENCE,
        "wl-due": RetentionAction.REMOVE_WATCHLIST_ENTRY,
    }
    assert [item.record.record_id for item in plan.held] == ["conf-held"]
    assert [item.due_at for item in plan.deletions] == sorted(i.due_at for i in plan.deletions)
    reasons = {item.record.record_id: item.reason for item in plan.deletions}
    assert reasons["rej-due"] == "evidence of an alert rejected by a reviewer is kept 24 h"
    assert reasons["conf-due"] == "evidence of an alert confirmed is kept 30 days"
    assert reasons["pend-due"] == "not reviewed within 24 h"
    assert plan.counts()[RetentionAction.EXPIRE_ALERT] == 3


def test_configured_times_are_used() -> None:
    policy = RetentionPolicy(
        rejected_evidence_hours=1, confirmed_evidence_days=90, pending_expiry_hours=48
    )
    planned = {i.record.record_id for i in plan_deletions(RECORDS, policy, NOW).deletions}
    assert "rej-young" in planned and "conf-due" not in planned and "pend-due" not in planned


def test_second_run_plans_nothing() -> None:
    policy = RetentionPolicy()
    first = plan_deletions(RECORDS, policy, NOW)
    after = apply_plan(RECORDS, first)
    assert {r.record_id for r in after} == {r.record_id for r in RECORDS} - {"wl-due"}
    assert len(plan_deletions(after, policy, NOW)) == 0
    expired = {r.record_id: r for r in after}["pend-due"]
    assert expired.status is AlertStatus.EXPIRED and not expired.has_evidence


_statuses = st.sampled_from(list(AlertStatus))
_offsets = st.integers(min_value=-2000, max_value=2000).map(lambda h: NOW + timedelta(hours=h))


@st.composite
def _record(draw: st.DrawFn) -> RetentionRecord:
    rid = f"r{draw(st.integers(0, 10**9))}"
    if draw(st.booleans()):
        return entry(rid, draw(st.none() | _offsets))
    status = draw(_statuses)
    created = draw(_offsets)
    decided = (
        None
        if status is AlertStatus.PENDING
        else created + timedelta(hours=draw(st.integers(0, 500)))
    )
    return alert(
        rid, status, created, decided, evidence=draw(st.booleans()), hold=draw(st.booleans())
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_record(), max_size=30, unique_by=lambda r: r.record_id),
    st.floats(0, 200),
    st.floats(0, 60),
)
def test_any_records_are_settled_by_one_run(
    records: list[RetentionRecord], rejected: float, confirmed: float
) -> None:
    policy = RetentionPolicy(rejected_evidence_hours=rejected, confirmed_evidence_days=confirmed)
    plan = plan_deletions(records, policy, NOW)
    assert all(item.due_at <= NOW and not item.record.on_hold for item in plan.deletions)
    assert len(plan_deletions(apply_plan(records, plan), policy, NOW)) == 0
    # nothing that is not due is touched
    untouched = {r.record_id for r in records} - {i.record.record_id for i in plan.deletions}
    assert {r.record_id: r for r in apply_plan(records, plan) if r.record_id in untouched} == {
        r.record_id: r for r in records if r.record_id in untouched
    }


def test_invalid_records_and_config_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        alert("x", AlertStatus.PENDING, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="needs decided_at"):
        alert("x", AlertStatus.REJECTED, NOW)
    with pytest.raises(ValidationError):
        RetentionPolicy.model_validate({"rejected_evidence_days": 1})
    with pytest.raises(ValidationError):
        RetentionPolicy(rejected_evidence_hours=-1)


def test_every_policy_field_is_documented() -> None:
    for name, field in RetentionPolicy.model_fields.items():
        assert field.title and field.description, name

"""``clearsight retention run [--dry-run]`` on a real store: it removes exactly what the
policy says, a dry run removes nothing, a second run removes nothing, and every deletion is
in the audit log with nothing biometric in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from tests.points import ESTIMATE, POINT
from tests.service.conftest import fake_photo
from tests.service.test_store import draft
from typer.testing import CliRunner

from clearsight.cli import _register, app
from clearsight.policy import RetentionPolicy, apply_plan, plan_deletions
from clearsight.review import Decision, ReviewPolicy
from clearsight.store import (
    AlertCrop,
    AuditRecord,
    Database,
    ExpiryRule,
    IdentityCipher,
    ReferencePhoto,
    Role,
    accounts,
    alerts,
    audit_log,
    retention,
    watchlist,
)
from clearsight.types import Alert

CIPHER = IdentityCipher()
POLICY = """
[privacy.retention]
rejected_evidence_hours = 12
confirmed_evidence_days = 2
pending_expiry_hours = 6
unsure_expiry_hours = 48
expired_evidence_hours = 0
"""


def _seed(data_dir: Path, now: datetime) -> dict[str, str]:
    """Records on either side of each rule, times relative to ``now``; returns their ids."""
    db = Database.for_data_dir(data_dir)
    db.migrate()
    with db.session() as s:
        enroller = accounts.create_user(
            s,
            "enr",
            "correct horse battery",
            Role.ENROLLER,
            "setup-" + "enr",
            approved_by="approver",
        )
        admin = accounts.create_user(
            s, "adm", "correct horse battery", Role.ADMIN, "setup-" + "adm", approved_by="approver"
        )
        reviewers = [
            accounts.create_user(
                s,
                f"rev{i}",
                "correct horse battery",
                Role.REVIEWER,
                "setup-" + f"rev{i}",
                approved_by="approver",
            )
            for i in (1, 2)
        ]
    ids: dict[str, str] = {}
    created = now - timedelta(days=10)
    for key, expires in (("entry_expired", now - timedelta(hours=1)), ("entry_live", None)):
        with db.session() as s:
            entry = watchlist.create_entry(
                s,
                CIPHER,
                draft(expires_at=expires),
                [fake_photo(len(ids))],
                enroller,
                created,
                ExpiryRule(),
            )
            ids[key] = entry.id
        with db.session() as s:
            watchlist.approve_entry(s, entry.id, admin, created)
    crop = np.full((12, 12, 3), 5, np.uint8)
    # name: (hours ago raised, decision, hours ago decided)
    plan = {
        "pending_old": (7, None, 0),
        "pending_new": (5, None, 0),
        "rejected_old": (20, Decision.REJECT, 13),
        "rejected_new": (20, Decision.REJECT, 11),
        "confirmed_old": (60, Decision.CONFIRM, 49),
        "confirmed_new": (60, Decision.CONFIRM, 47),
        "unsure_old": (60, Decision.UNSURE, 49),
        "unsure_new": (60, Decision.UNSURE, 47),
    }
    review = ReviewPolicy(review_window=timedelta(days=30))
    for key, (raised_h, decision, decided_h) in plan.items():
        raised = now - timedelta(hours=raised_h)
        with db.session() as s:
            alert = Alert(
                key, ids["entry_live"], "", 1, 0.9, ESTIMATE, raised, "c", crop, 2, 2, POINT
            )
            ids[key] = alerts.ingest_alert(s, CIPHER, alert, raised, [crop]).alert.id
        if decision is None:
            continue
        voters = reviewers if decision is Decision.CONFIRM else reviewers[:1]
        for reviewer in voters:
            with db.session() as s:
                at = now - timedelta(hours=decided_h)
                alerts.decide(s, ids[key], reviewer, decision, "c", review, at)
    db.dispose()
    return ids


def _state(data_dir: Path) -> tuple[dict[str, str], set[str], int, int]:
    db = Database.for_data_dir(data_dir)
    try:
        with db.session() as s:
            statuses = {a.id: a.status for a in alerts.list_alerts(s, None, 1000)}
            with_crops = set(s.scalars(select(AlertCrop.alert_id)))
            photos = s.scalar(select(func.count()).select_from(ReferencePhoto)) or 0
            audits = s.scalar(select(func.count()).select_from(AuditRecord)) or 0
        return statuses, with_crops, photos, audits
    finally:
        db.dispose()


# The deployment config's [retention]; older files kept it in [privacy.retention].
@pytest.mark.parametrize("table", ["retention", "privacy.retention"])
def test_retention_run_removes_exactly_what_the_policy_says(tmp_path: Path, table: str) -> None:
    _register()
    now = datetime.now(UTC)
    data_dir = tmp_path / "data"
    ids = _seed(data_dir, now)
    config = tmp_path / "privacy.toml"
    config.write_text(POLICY.replace("[privacy.retention]", f"[{table}]"), encoding="utf-8")
    args = ["retention", "run", "--data-dir", str(data_dir), "--config", str(config)]
    due = {"pending_old", "rejected_old", "confirmed_old", "unsure_old", "entry_expired"}

    db = Database.for_data_dir(data_dir)
    with db.read_session() as s:
        records = retention.retention_records(s)
    db.dispose()
    reference = plan_deletions(
        records,
        RetentionPolicy(
            rejected_evidence_hours=12,
            confirmed_evidence_days=2,
            pending_expiry_hours=6,
            unsure_expiry_hours=48,
            expired_evidence_hours=0,
        ),
        now,
    )
    assert {d.record.record_id for d in reference.deletions} == {ids[k] for k in due}
    expected_after = {r.record_id: r for r in apply_plan(records, reference)}

    before = _state(data_dir)
    runner = CliRunner()
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "5 records due" in dry.output and "dry run: nothing deleted" in dry.output
    for key in due:
        assert ids[key] in dry.output
    assert _state(data_dir) == before  # not even an audit entry

    real = runner.invoke(app, args)
    assert real.exit_code == 0, real.output
    assert "5 records acted on" in real.output
    statuses, with_crops, photos, _ = _state(data_dir)
    assert with_crops == {
        ids[k] for k in ("pending_new", "rejected_new", "confirmed_new", "unsure_new")
    }
    assert statuses[ids["pending_old"]] == "expired" and statuses[ids["unsure_old"]] == "expired"
    assert statuses[ids["pending_new"]] == "pending" and statuses[ids["unsure_new"]] == "pending"
    assert statuses[ids["rejected_old"]] == "rejected"
    assert statuses[ids["confirmed_old"]] == "confirmed"
    assert photos == 1  # the expired entry's photo and template are gone; the live one's kept
    for record_id, record in expected_after.items():
        if record.kind.value == "alert":
            assert (record_id in with_crops) == record.has_evidence, record_id
            # the store keeps an unsure alert as pending with an unsure decision
            expired = record.status is not None and record.status.value == "expired"
            assert (statuses[record_id] == "expired") == expired, record_id

    db = Database.for_data_dir(data_dir)
    with db.session() as s:
        assert audit_log.verify(s).ok
        rows = s.scalars(select(AuditRecord).where(AuditRecord.seq > before[3])).all()
    db.dispose()
    by_record: dict[str, list[str]] = {}
    for row in rows:
        by_record.setdefault(row.record_id, []).append(row.action)
        assert len(row.details) < 200  # counts and reasons, never image or template bytes
    assert by_record[ids["pending_old"]] == ["alert.expired", "alert.evidence_deleted"]
    assert by_record[ids["unsure_old"]] == ["alert.expired", "alert.evidence_deleted"]
    assert by_record[ids["rejected_old"]] == ["alert.evidence_deleted"]
    assert by_record[ids["confirmed_old"]] == ["alert.evidence_deleted"]
    assert by_record[ids["entry_expired"]] == ["watchlist.expired"]
    assert [r.action for r in rows].count("retention.run") == 1
    assert len(rows) == 8  # the seven above and the run's summary: nothing else deleted

    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "0 records acted on" in again.output
    after_again = _state(data_dir)
    assert after_again[:3] == (statuses, with_crops, photos)


def test_bad_policy_file_is_one_line(tmp_path: Path) -> None:
    _register()
    data_dir = tmp_path / "data"
    Database.for_data_dir(data_dir).migrate()
    config = tmp_path / "p.toml"
    config.write_text("[privacy.retention]\nrejected_evidence_hours = -1\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["retention", "run", "--data-dir", str(data_dir), "--config", str(config)]
    )
    assert result.exit_code == 2, result.output
    assert "privacy.retention.rejected_evidence_hours" in result.output

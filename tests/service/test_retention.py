"""The retention policy carried out on the store, checked against the policy's own reference
(``clearsight.policy.apply_plan``), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import func, select
from tests.points import ESTIMATE, POINT
from tests.service.conftest import NOW, fake_photo, make_user
from tests.service.test_store import draft

from clearsight.policy import RetentionPolicy, apply_plan, plan_deletions
from clearsight.review import Decision, ReviewPolicy
from clearsight.store import (
    AlertCrop,
    AuditRecord,
    Database,
    IdentityCipher,
    Role,
    alerts,
    retention,
    watchlist,
)
from clearsight.store._watchlist import ExpiryRule
from clearsight.types import Alert

CIPHER = IdentityCipher()


def test_store_carries_out_the_plan_exactly_and_audits_it(db: Database) -> None:
    enroller, approver = make_user(db, "enr", Role.ENROLLER), make_user(db, "adm", Role.ADMIN)
    r1, r2 = make_user(db, "rev1", Role.REVIEWER), make_user(db, "rev2", Role.REVIEWER)
    with db.session() as s:
        entry = watchlist.create_entry(
            s,
            CIPHER,
            draft(expires_at=NOW + timedelta(days=3)),
            [fake_photo(1)],
            enroller,
            NOW,
            ExpiryRule(),
        )
    with db.session() as s:
        watchlist.approve_entry(s, entry.id, approver, NOW)
    crop = np.full((10, 10, 3), 9, np.uint8)
    ids = {}
    with db.session() as s:
        for key in ("pending", "unsure", "rejected", "confirmed", "fresh"):
            at = NOW + timedelta(days=2) if key == "fresh" else NOW
            alert = Alert(key, entry.id, "", 1, 0.9, ESTIMATE, at, "c", crop, 2, 2, POINT)
            ids[key] = alerts.ingest_alert(s, CIPHER, alert, at).alert.id
    policy = ReviewPolicy(review_window=timedelta(days=30))
    with db.session() as s:
        alerts.decide(s, ids["unsure"], r1, Decision.UNSURE, "?", policy, NOW)
        alerts.decide(s, ids["rejected"], r1, Decision.REJECT, "no", policy, NOW)
        alerts.decide(s, ids["confirmed"], r1, Decision.CONFIRM, "yes", policy, NOW)
        alerts.decide(s, ids["confirmed"], r2, Decision.CONFIRM, "yes", policy, NOW)
    rules = RetentionPolicy()  # pending 24 h, unsure 72 h, rejected 24 h, confirmed 30 days
    now = NOW + timedelta(days=2, hours=1)
    with db.session() as s:
        before = retention.retention_records(s)
        expected = sorted(
            apply_plan(before, plan_deletions(before, rules, now)), key=lambda r: r.record_id
        )
        audit_before = s.scalar(select(func.count()).select_from(AuditRecord))
        done = retention.apply_retention(s, rules, now)
    assert set(done) == {ids["pending"], ids["rejected"]}
    with db.session() as s:
        after = sorted(retention.retention_records(s), key=lambda r: r.record_id)
        statuses = {k: alerts.get_alert(s, v).status for k, v in ids.items()}
        crops_left = set(s.scalars(select(AlertCrop.alert_id)))
        audit_after = s.scalar(select(func.count()).select_from(AuditRecord))
    assert [(r.record_id, r.status, r.has_evidence) for r in after] == [
        (r.record_id, r.status, r.has_evidence) for r in expected
    ]
    assert statuses == {
        "pending": "expired",
        "unsure": "pending",
        "rejected": "rejected",
        "confirmed": "confirmed",
        "fresh": "pending",
    }
    assert crops_left == {ids["unsure"], ids["confirmed"], ids["fresh"]}
    assert audit_after == audit_before + 3  # expired + two evidence deletions
    later = NOW + timedelta(days=3, hours=1)  # entry expiry and the unsure alert's 72 h
    with db.session() as s:
        done = retention.apply_retention(s, rules, later)
    assert set(done) == {entry.id, ids["unsure"], ids["fresh"]}
    with db.session() as s:
        assert watchlist.get_entry(s, entry.id).photos == []
        assert alerts.get_alert(s, ids["unsure"]).status == "expired"
        assert audit_log_ok(s)


def audit_log_ok(session) -> bool:  # type: ignore[no-untyped-def]
    from clearsight.store import audit_log

    return audit_log.verify(session).ok

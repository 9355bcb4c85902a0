"""The audit log against the records it describes, and against a head kept outside the
database: a deleted decision or alert is found although the chain is intact, an audited
erasure is not a false alarm, and a rewrite of the whole chain shows against the anchor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from tests.service.test_cli import run
from tests.service.webkit import add_user, alert_body, api_token, make_app, review_team

from clearsight.audit import AuditEvent, link
from clearsight.service.usecases import anchor_audit_head
from clearsight.store import (
    AlertRecord,
    AuditHead,
    AuditRecord,
    ReviewDecisionRecord,
    Role,
    audit_log,
)
from clearsight.store._subject_records import ErasureRequest, erase


def reviewed_store(tmp_path: Path, anchor: Path | None = None):  # type: ignore[no-untyped-def]
    """A data directory with two alerts, each decided by two reviewers, through the API."""
    app = make_app(tmp_path, audit_anchor_file=anchor)
    with TestClient(app) as client:
        entry, ingest = review_team(app, ("r1", "r2"))
        ids = [
            client.post("/api/alerts", json=alert_body(entry, key), headers=ingest).json()["id"]
            for key in ("a", "b")
        ]
        for name in ("r1", "r2"):
            reviewer = {"Authorization": "Bearer " + api_token(app, name, {"alerts:review"})}
            for alert_id in ids:
                done = client.post(
                    f"/api/alerts/{alert_id}/decisions",
                    json={"decision": "unsure", "comment": "hm"},
                    headers=reviewer,
                )
                assert done.status_code == 201
    return app, ids


def test_a_deleted_decision_row_is_found_though_the_chain_is_intact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app, (first, second) = reviewed_store(tmp_path)
    db = app.state.clearsight.db
    code, out, _ = run(["audit", "verify", "--data-dir", str(tmp_path)], capsys)
    assert code == 0 and "every alert, watchlist entry and decision" in out
    with db.session() as s:
        reviewer_id = s.scalars(
            select(ReviewDecisionRecord.reviewer_id).where(ReviewDecisionRecord.alert_id == first)
        ).first()
        s.execute(
            delete(ReviewDecisionRecord).where(
                ReviewDecisionRecord.alert_id == first,
                ReviewDecisionRecord.reviewer_id == reviewer_id,
            )
        )
        s.execute(delete(AlertRecord).where(AlertRecord.id == second))
    with db.read_session() as s:
        assert audit_log.verify(s).ok  # the chain alone sees nothing
        problems = audit_log.verify_records(s)
    assert any(
        f"decision of r1 on alert {first}" in p or f"decision of r2 on alert {first}" in p
        for p in problems
    ), problems
    assert any(f"alert {second} is in the audit log" in p for p in problems), problems
    code, _, err = run(["audit", "verify", "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and "missing from the database" in err
    add_user(app, "aud", Role.AUDITOR)
    with TestClient(app) as client:
        token = {"Authorization": "Bearer " + api_token(app, "aud", {"audit:read"})}
        report = client.get("/api/audit/verify", headers=token).json()
    assert report["ok"] is False and len(report["record_problems"]) == len(problems)


def test_an_audited_erasure_is_not_reported(tmp_path: Path) -> None:
    app, (first, _) = reviewed_store(tmp_path)
    ctx = app.state.clearsight
    with ctx.db.session() as s:
        erase(s, [], [first], ErasureRequest("dpo", "R-1", "asked", ctx.now()))
    with ctx.db.read_session() as s:
        assert audit_log.verify(s).ok and audit_log.verify_records(s) == []


def test_a_rewritten_chain_fails_against_its_anchor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anchor = tmp_path / "anchor.txt"
    app, _ = reviewed_store(tmp_path / "data", anchor)
    ctx = app.state.clearsight
    seq, digest = anchor_audit_head(ctx)
    anchor_audit_head(ctx)  # unchanged head: not written twice
    lines = anchor.read_text().splitlines()
    assert len(lines) == 1 and lines[0].split()[1:] == [str(seq), digest]
    argv = ["audit", "verify", "--data-dir", str(tmp_path / "data"), "--anchor", str(anchor)]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "1 anchored heads match" in out and f"head: {seq} {digest}" in out

    # An insider rewrites the log from entry 3 on (a changed actor) and re-links the rest.
    with ctx.db.session() as s:
        rows = s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        prev = rows[1].hash
        for row in rows[2:]:
            actor = "someone-else" if row.seq == 3 else row.actor
            event = AuditEvent(
                actor,
                row.action,
                row.record_type,
                row.record_id,
                row.reason,
                json.loads(row.details),  # type: ignore[arg-type]
            )
            entry = link(event, row.seq, row.at, prev)
            row.actor, row.prev_hash, row.hash = actor, entry.prev_hash, entry.hash
            prev = entry.hash
        head = s.get(AuditHead, 1)
        assert head is not None
        head.last_hash = prev
    with ctx.db.read_session() as s:
        assert audit_log.verify(s).ok  # consistent again: only the anchor can tell
    code, _, err = run(argv, capsys)
    assert code == 2 and f"entry {seq} no longer has the anchored hash" in err

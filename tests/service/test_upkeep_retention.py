"""The service's scheduled upkeep (``maintain``, run by the lifespan loop) applies the
retention policy from its settings: a rejected alert's evidence goes once the policy's time
has passed, and not before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.points import ESTIMATE, POINT
from tests.service.webkit import add_user, fake_enroll, seed_entry

from clearsight.policy import RetentionPolicy
from clearsight.review import Decision
from clearsight.service import (
    ROLE_PERMISSIONS,
    DeploymentConfig,
    Hooks,
    Principal,
    ServiceSettings,
)
from clearsight.service.usecases import decide, ingest, maintain
from clearsight.store import AlertCrop, Role, accounts
from clearsight.types import Alert
from clearsight.web import create_app


def test_scheduled_upkeep_deletes_evidence_when_the_policy_says(tmp_path: Path) -> None:
    clock = [datetime.now(UTC)]
    settings = DeploymentConfig(
        service=ServiceSettings(data_dir=tmp_path, maintenance_interval_s=0),
        retention=RetentionPolicy(rejected_evidence_hours=2),
    )
    app = create_app(settings, Hooks(enroll=fake_enroll, clock=lambda: clock[0]))
    with TestClient(app):
        ctx = app.state.clearsight
        add_user(app, "enr", Role.ENROLLER)
        add_user(app, "adm", Role.ADMIN)
        reviewer_id = add_user(app, "rev", Role.REVIEWER)
        entry = seed_entry(app, "enr", "adm")
        crop = np.full((20, 20, 3), 3, np.uint8)
        alert = Alert("k", entry, "", 1, 0.9, ESTIMATE, clock[0], "cam", crop, 2, 2, POINT)
        alert_id = ingest(ctx, alert, (), None).alert.id
        with ctx.db.session() as s:
            user = accounts.get_user(s, reviewer_id)
        rev = Principal(
            user.id, user.username, Role.REVIEWER, ROLE_PERMISSIONS[Role.REVIEWER], None
        )
        decide(ctx, rev, alert_id, Decision.REJECT, "not them")

        def crops() -> set[str]:
            with ctx.db.session() as s:
                return set(s.scalars(select(AlertCrop.alert_id)))

        clock[0] += timedelta(hours=1, minutes=59)
        maintain(ctx)
        assert crops() == {alert_id}  # not yet due
        clock[0] += timedelta(minutes=2)
        maintain(ctx)
        assert crops() == set()

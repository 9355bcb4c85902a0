"""``clearsight retention run``: plan what the retention policy says is due and, unless it is
a dry run, carry it out. Each deletion is audited by ``carry_out`` (record kind, id, action and
the policy's reason; nothing biometric); a real run also records one summary entry saying who
ran it and how much it removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clearsight.audit import AuditAction, AuditEvent
from clearsight.policy import DeletionPlan, RetentionPolicy, plan_deletions
from clearsight.store import _audit_log
from clearsight.store._database import Database
from clearsight.store._retention import carry_out, retention_records


@dataclass(frozen=True)
class RetentionRun:
    """What one run planned and, unless ``dry_run``, carried out (``done``: ids acted on)."""

    plan: DeletionPlan
    done: tuple[str, ...]
    dry_run: bool


def run_retention(
    db: Database, policy: RetentionPolicy, now: datetime, actor: str, *, dry_run: bool
) -> RetentionRun:
    """Plan at ``now``; carry the plan out in one transaction unless ``dry_run``."""
    if dry_run:
        with db.read_session() as session:
            plan = plan_deletions(retention_records(session), policy, now)
        return RetentionRun(plan, (), True)
    with db.session() as session:
        _audit_log.lock_chain(session)
        plan = plan_deletions(retention_records(session), policy, now)
        done = tuple(carry_out(session, plan))
        counts = {action.value: str(n) for action, n in plan.counts().items()}
        _audit_log.append(
            session,
            AuditEvent(
                actor,
                AuditAction.RETENTION_RUN,
                "retention",
                now.isoformat(),
                reason="retention policy run on demand",
                details={"records_acted_on": str(len(done)), "held": str(len(plan.held)), **counts},
            ),
            at=now,
        )
    return RetentionRun(plan, done, False)

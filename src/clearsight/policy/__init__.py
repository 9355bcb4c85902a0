"""Policy as pure functions: what must be deleted when, and why.

Nothing here touches a database or a file: the store reads its records into
``RetentionRecord`` values, asks ``plan_deletions`` what is due, carries the plan out and
audit-logs each deletion.
"""

from clearsight.policy._retention import (
    AlertStatus,
    DeletionPlan,
    PlannedDeletion,
    RecordKind,
    RetentionAction,
    RetentionPolicy,
    RetentionRecord,
    apply_plan,
    due_deletion,
    plan_deletions,
)

__all__ = [
    "AlertStatus",
    "DeletionPlan",
    "PlannedDeletion",
    "RecordKind",
    "RetentionAction",
    "RetentionPolicy",
    "RetentionRecord",
    "apply_plan",
    "due_deletion",
    "plan_deletions",
]

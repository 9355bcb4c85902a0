"""Review: the verification state machine of alerts (pending -> confirmed / rejected / expired)."""

from clearsight.review._machine import (
    AlertStatus,
    CastDecision,
    Decision,
    ReviewPolicy,
    apply_decision,
    is_expired,
    status_after,
)

__all__ = [
    "AlertStatus",
    "CastDecision",
    "Decision",
    "ReviewPolicy",
    "apply_decision",
    "is_expired",
    "status_after",
]

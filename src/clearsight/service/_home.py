"""What waits for the signed-in person: the counts their home page and notifications show."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import func, select

from clearsight.review import AlertStatus
from clearsight.service._context import ServiceContext
from clearsight.service._permissions import Permission, Principal
from clearsight.service.usecases import acting_user
from clearsight.store import Camera, EntryStatus, WatchlistEntry, history, sites

PROBLEM_STATES = ("reconnecting", "backoff")


@dataclass(frozen=True)
class HomeCounts:
    """None where the person's role does not cover it."""

    entries_awaiting_approval: int | None = None
    """Pending watchlist entries this person may approve (not their own enrolments)."""
    alerts_awaiting_you: int | None = None
    """Pending alerts of this reviewer's sites that they have not decided yet."""
    newest_alert_id: str | None = None
    """The newest of those, so a page can tell when a new one arrives."""
    pending_alerts: int | None = None
    """Every pending alert of their sites, decided by them or not."""
    cameras_with_problems: int | None = None
    """Enabled cameras that are reconnecting or restarting after an error."""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def home_counts(ctx: ServiceContext, principal: Principal) -> HomeCounts:
    values: dict[str, object] = {}
    with ctx.db.read_session() as s:
        if principal.can(Permission.WATCHLIST_APPROVE):
            values["entries_awaiting_approval"] = int(
                s.scalar(
                    select(func.count())
                    .select_from(WatchlistEntry)
                    .where(
                        WatchlistEntry.status == EntryStatus.PENDING_APPROVAL.value,
                        WatchlistEntry.enrolled_by != principal.user_id,
                    )
                )
                or 0
            )
        if principal.can(Permission.ALERTS_REVIEW):
            allowed = sites.sites_of(acting_user(ctx, principal))
            waiting = history.awaiting(s, principal.user_id, allowed)
            values["alerts_awaiting_you"] = len(waiting)
            values["newest_alert_id"] = waiting[0].id if waiting else None
            values["pending_alerts"] = history.count(
                s, history.HistoryFilter(outcome=AlertStatus.PENDING), allowed
            )
        if principal.can(Permission.CAMERAS_MANAGE):
            values["cameras_with_problems"] = int(
                s.scalar(
                    select(func.count())
                    .select_from(Camera)
                    .where(Camera.enabled.is_(True), Camera.status.in_(PROBLEM_STATES))
                )
                or 0
            )
    return HomeCounts(**values)  # type: ignore[arg-type]

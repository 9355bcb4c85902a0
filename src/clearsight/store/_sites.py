"""Sites: which sites' alerts a user may see and decide.

A user's ``sites`` column holds a comma-separated list; empty means every site. An alert
carries the site of the camera that raised it. A user limited to sites sees an alert only
when its site is one of theirs; alerts of an unknown site ('') only users of every site see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from clearsight.audit import AuditAction, AuditEvent
from clearsight.errors import InputError
from clearsight.store import _audit_log
from clearsight.store._accounts import get_user, mark_powers_changed
from clearsight.store._tables import AlertRecord, User

__all__ = ["can_see", "parse_sites", "set_user_sites", "sites_of"]

_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def parse_sites(values: str | Iterable[str]) -> frozenset[str]:
    """Site names from a comma- or space-separated text or a list; InputError naming a bad one."""
    parts = values.replace(",", " ").split() if isinstance(values, str) else list(values)
    for part in parts:
        if not _SITE.match(part):
            raise InputError(
                f"site {part!r}: use 1-100 letters, digits, '.', '_' or '-', starting with a "
                "letter or digit"
            )
    return frozenset(parts)


def sites_of(user: User) -> frozenset[str]:
    """The user's sites; empty means every site."""
    return frozenset(part for part in user.sites.split(",") if part)


def can_see(sites: frozenset[str], alert: AlertRecord) -> bool:
    return not sites or alert.site in sites


def set_user_sites(
    session: Session, user_id: str, sites: frozenset[str], actor: User, now: datetime
) -> User:
    """Limit ``user_id`` to ``sites`` (empty: every site), audited. A change is a change of
    powers: it waits for a second admin's approval."""
    user = get_user(session, user_id)
    chosen = ",".join(sorted(sites))
    if chosen != user.sites:
        mark_powers_changed(session, user, actor, now)
    user.sites = chosen
    _audit_log.append(
        session,
        AuditEvent(
            actor.username,
            AuditAction.USER_SITES_SET,
            "user",
            user.id,
            details={"sites": user.sites or "*"},
        ),
        at=now,
    )
    return user

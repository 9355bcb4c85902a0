"""Signing in and out, the first set-up, API tokens and account approval: the account use
cases of the web pages, each in one transaction with its audit entry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clearsight.audit import AuditAction, AuditEvent
from clearsight.service._context import ServiceContext
from clearsight.service._permissions import Permission, Principal
from clearsight.store import ApiToken, User, accounts, audit_log

__all__ = [
    "api_tokens",
    "authenticate",
    "complete_setup",
    "create_api_token",
    "disable_user",
    "open_session",
    "revoke_api_token",
    "setup_token_valid",
    "sign_out",
]


def open_session(ctx: ServiceContext, user: User, address: str) -> accounts.NewSession:
    """A browser session for ``user`` (signed in from ``address``), lasting the configured
    session lifetime; the sign-in is audited."""
    now = ctx.now()
    with ctx.db.session() as s:
        new = accounts.open_session(
            s, user, now, timedelta(minutes=ctx.settings.session_ttl_minutes)
        )
        audit_log.append(
            s,
            AuditEvent(
                user.username,
                AuditAction.LOGIN_SUCCEEDED,
                "user",
                user.id,
                details={"address": address},
            ),
            at=now,
        )
    return new


def authenticate(ctx: ServiceContext, username: str, password: str, address: str) -> User | None:
    """The user whose name and password these are; None (and the attempt audited) if none.
    Counting failures against the limiter is the caller's, who knows the address to count."""
    with ctx.db.session() as s:
        user = accounts.authenticate(s, username, password)
        if user is None:
            # No account has a name over 63 characters; the attempt is recorded all the same,
            # its name cut to what the audit log's actor column holds.
            shown = username[: accounts.MAX_USERNAME_LENGTH] or "?"
            audit_log.append(
                s,
                AuditEvent(
                    shown,
                    AuditAction.LOGIN_FAILED,
                    "user",
                    shown,
                    details={"address": address},
                ),
            )
    return user


def sign_out(ctx: ServiceContext, principal: Principal, session_secret: str) -> None:
    with ctx.db.session() as s:
        accounts.close_session(s, session_secret)
        audit_log.append(
            s, AuditEvent(principal.username, AuditAction.LOGOUT, "user", principal.user_id)
        )


def setup_token_valid(ctx: ServiceContext, token: str) -> bool:
    with ctx.db.read_session() as s:
        return bool(token) and accounts.setup_token_valid(s, token, ctx.now())


def complete_setup(ctx: ServiceContext, token: str, username: str, password: str) -> User:
    """The first administrator, made with the one-time set-up link's token."""
    with ctx.db.session() as s:
        return accounts.complete_setup(s, token, username, password, ctx.now())


def api_tokens(ctx: ServiceContext, principal: Principal) -> list[ApiToken]:
    with ctx.db.read_session() as s:
        return list(
            s.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == principal.user_id)
                .order_by(ApiToken.created_at)
            ).all()
        )


def create_api_token(
    ctx: ServiceContext, principal: Principal, name: str, scopes: frozenset[Permission]
) -> tuple[ApiToken, str]:
    """A new token of the caller's holding ``scopes`` (the caller checks they are theirs);
    its secret is returned once."""
    with ctx.db.session() as s:
        user = accounts.get_user(s, principal.user_id)
        return accounts.create_api_token(s, user, name, frozenset(scopes), None)


def revoke_api_token(ctx: ServiceContext, principal: Principal, token_id: str) -> None:
    with ctx.db.session() as s:
        accounts.revoke_api_token(s, accounts.get_user(s, principal.user_id), token_id, ctx.now())


def disable_user(ctx: ServiceContext, principal: Principal, user_id: str, reason: str) -> None:
    with ctx.db.session() as s:
        accounts.disable_user(
            s, user_id, accounts.get_user(s, principal.user_id), ctx.now(), reason
        )

"""First start: migrate the database and, while nobody can sign in, a one-time set-up link."""

from __future__ import annotations

from datetime import timedelta

from clearsight.store import Database, accounts
from clearsight.store._types import utcnow
from clearsight.web._settings import ServiceSettings


def open_database(settings: ServiceSettings) -> Database:
    url = settings.database_url
    return Database(url) if url else Database.for_data_dir(settings.data_dir)


def prepare(settings: ServiceSettings) -> str | None:
    """Migrate; return the set-up URL when no user exists yet (a new token each start)."""
    db = open_database(settings)
    try:
        db.migrate()
        with db.session() as session:
            secret = accounts.issue_setup_token(
                session, utcnow(), timedelta(minutes=settings.setup_token_ttl_minutes)
            )
    finally:
        db.dispose()
    return None if secret is None else f"{settings.base_url()}/setup?token={secret}"

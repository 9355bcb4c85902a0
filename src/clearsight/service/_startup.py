"""First start: migrate the database and, while nobody can sign in, a one-time set-up link."""

from __future__ import annotations

from datetime import timedelta

from clearsight.errors import StoreError
from clearsight.service._settings import ServiceSettings
from clearsight.store import SQLITE_FILE_NAME, Database, accounts, utcnow


def open_database(settings: ServiceSettings) -> Database:
    url = settings.database_url
    return Database(url) if url else Database.for_data_dir(settings.data_dir)


def open_existing_database(settings: ServiceSettings) -> Database:
    """The service's database for a command run beside it; StoreError when the data
    directory holds none (a typo in --data-dir must not create an empty one)."""
    if not settings.database_url and not (settings.data_dir / SQLITE_FILE_NAME).is_file():
        raise StoreError(
            f"{settings.data_dir}: no clearsight database here ({SQLITE_FILE_NAME} missing)"
        )
    return open_database(settings)


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

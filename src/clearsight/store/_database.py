"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from clearsight.errors import StoreError

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Alembic keeps its running context in module globals: one migration at a time per process.
_MIGRATION_LOCK = threading.Lock()
SQLITE_FILE_NAME = "clearsight.sqlite3"
READ_ONLY_OPTION = "clearsight_read_only"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+pysqlite:///{data_dir / SQLITE_FILE_NAME}"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, full fsync, foreign keys, and BEGIN IMMEDIATE: one writer at a time.

    Taking the write lock when a transaction starts (not at its first write) means two
    transactions never read the same audit-chain head and then race to extend it.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, emits BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            # WAL readers never wait for the writer; query_only makes a stray write fail.
            connection.exec_driver_sql("PRAGMA query_only=1")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only=0")
            connection.exec_driver_sql("BEGIN IMMEDIATE")


DATA_DIR_MODE = 0o700
DATABASE_FILE_MODE = 0o600  # SQLite gives its -wal and -shm files the database file's mode


def _warn_if_wider(path: Path, mode: int, what: str) -> None:
    actual = stat.S_IMODE(path.stat().st_mode)
    if actual & ~mode:
        log.warning(
            "%s %s is open to other users (mode %o); it holds names, notes and the audit log: "
            "chmod %o %s",
            what,
            path,
            actual,
            mode,
            path,
        )


def private_sqlite_file(path: Path) -> None:
    """Create the data directory (0700) and the database file (0600) private to this user
    before SQLite makes them with the umask's modes; warn when existing ones are wider."""
    folder = path.parent
    if folder.is_dir():
        _warn_if_wider(folder, DATA_DIR_MODE, "data directory")
    else:
        folder.mkdir(mode=DATA_DIR_MODE, parents=True, exist_ok=True)
    if path.exists():
        _warn_if_wider(path, DATABASE_FILE_MODE, "database file")
    else:
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, DATABASE_FILE_MODE))


class Database:
    """One database: its engine, a session factory and its migrations.

    ``schema`` (PostgreSQL only) puts every table in that schema; tests use it to run
    against a shared server without touching anything else.
    """

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise StoreError(f"database URL {url!r} is not valid: {error}") from error
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise StoreError(f"database URL {url!r}: only sqlite and postgresql are supported")
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                private_sqlite_file(Path(database))
            connect_args["check_same_thread"] = False
        elif schema is not None:
            connect_args["options"] = f"-csearch_path={schema}"
        self.schema = schema
        self.engine = create_engine(
            parsed, echo=echo, connect_args=connect_args, pool_pre_ping=True
        )
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Database:
        return cls(sqlite_url(data_dir))

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to run at every start)."""
        # Alembic is imported here, when migrating: it takes as long to import as the rest
        # of the store, which every command and the web package import.
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with _MIGRATION_LOCK, self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as error:
            raise StoreError(f"cannot migrate the database at {self.url}: {error.orig}") from error

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only. On SQLite it does not take the write lock, so polling
        pages never queue behind writers, and a write in it fails; on PostgreSQL it is an
        ordinary session."""
        with self._read_sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            raise StoreError(f"cannot reach the database at {self.url}: {error.orig}") from error

    def dispose(self) -> None:
        self.engine.dispose()

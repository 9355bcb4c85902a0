"""Alembic environment: run with the connection clearsight hands over (``Database.migrate``)."""

from __future__ import annotations

from alembic import context

from clearsight.store._tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("clearsight migrations run through clearsight.store.Database.migrate")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

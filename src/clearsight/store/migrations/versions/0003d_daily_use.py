"""daily use: a password an admin reset must be changed; when a camera's next try is

Revision ID: 0003d
Revises: 0002
Create Date: 2026-12-06 21:40:00

``users.must_change_password``: set when an admin resets the password; the user is sent to
the password page at sign-in until they choose a new one.
``cameras.next_retry_at``: when the worker next tries a camera that is reconnecting or in
error (None while it runs).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003d"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("cameras") as batch:
        batch.add_column(sa.Column("next_retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        batch.drop_column("next_retry_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")

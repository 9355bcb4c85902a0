"""account approval: a second admin approves each account's powers

Revision ID: 0003s
Revises: 0003d (written against 0002; re-chained after issue 16 merged)
Create Date: 2026-12-06 22:00:00

``users.powers_set_by`` / ``powers_set_at``: who created the account or last changed its role
or sites, and when. ``users.approved_by`` / ``approved_at``: the admin who approved those
powers; NULL means pending, and a pending account can do nothing but sign in. Accounts that
exist before this revision keep their powers: they are marked approved by
``before-0003s`` (the audit log still says who created them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003s"
down_revision = "0003d"
branch_labels = None
depends_on = None

GRANDFATHERED = "before-0003s"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("powers_set_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("powers_set_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
    users = sa.table(
        "users",
        sa.column("created_by", sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("powers_set_by", sa.String()),
        sa.column("powers_set_at", sa.DateTime()),
        sa.column("approved_by", sa.String()),
        sa.column("approved_at", sa.DateTime()),
    )
    op.execute(
        users.update().values(
            powers_set_by=users.c.created_by,
            powers_set_at=users.c.created_at,
            approved_by=GRANDFATHERED,
            approved_at=users.c.created_at,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("approved_by")
        batch.drop_column("powers_set_at")
        batch.drop_column("powers_set_by")

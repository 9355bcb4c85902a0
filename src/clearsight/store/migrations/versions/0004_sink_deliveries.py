"""sink deliveries: each confirmed alert's delivery tracked per alert sink

Revision ID: 0004
Revises: 0003s
Create Date: 2026-12-07 01:00:00

``alert_deliveries`` holds one row per (alert, sink name) once a delivery to that sink was
tried: attempts, when it is next due (the sink's own backoff), when it was delivered or
abandoned, and the last error. ``alerts.notified_at`` keeps its meaning: set once every
configured sink has settled, so alerts notified before this revision are not sent again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003s"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("sink", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("abandoned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("alert_id", "sink"),
    )


def downgrade() -> None:
    op.drop_table("alert_deliveries")

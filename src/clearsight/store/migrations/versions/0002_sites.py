"""sites: alerts carry their site, users may be limited to sites, entries may be site-scoped

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 14:05:00

``alerts.site``: the site of the camera that raised the alert ('' when unknown).
``users.sites``: comma-separated sites a reviewer may see ('' = every site).
``watchlist_entries.site``: the one site an entry is matched at ('' = every site).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("site", sa.String(length=100), nullable=False, server_default="")
        )
        batch.create_index("ix_alerts_site", ["site"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sites", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("watchlist_entries") as batch:
        batch.add_column(
            sa.Column("site", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("watchlist_entries") as batch:
        batch.drop_column("site")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sites")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_site")
        batch.drop_column("site")

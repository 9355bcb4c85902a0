"""operating point: every alert records the threshold it was decided at and how it was set

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 22:00:00

``alerts.threshold``, ``threshold_rule`` (every-group or pooled), ``target_fmr``,
``model_id`` and ``card_version``: the operating point the alert was decided under.
``alerts.estimated_fmr_low``/``_high``/``_group``: the interval and the group of
``estimated_fmr`` (the rate of the group the model confuses most at the alert's score);
``pooled_fmr``: the rate over all impostor comparisons. NULL on alerts stored earlier.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("estimated_fmr_low", sa.Float()),
    ("estimated_fmr_high", sa.Float()),
    ("estimated_fmr_group", sa.String(length=200)),
    ("pooled_fmr", sa.Float()),
    ("threshold", sa.Float()),
    ("threshold_rule", sa.String(length=32)),
    ("target_fmr", sa.Float()),
    ("model_id", sa.String(length=100)),
    ("card_version", sa.String(length=64)),
)


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)

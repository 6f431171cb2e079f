"""timeline causes, failure records, prefixed wait keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Parked rows waited on a bare order id; every wait key now names its kind.


def upgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_handler", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("failure_trace", sa.Text(), nullable=True))
    op.execute(
        "UPDATE webhook_event SET waiting_for = 'order:' || waiting_for "
        "WHERE waiting_for IS NOT NULL "
        "AND NOT (waiting_for LIKE 'payment:%' OR waiting_for LIKE 'tracking:%')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE webhook_event SET waiting_for = substr(waiting_for, 7) "
        "WHERE waiting_for LIKE 'order:%'"
    )
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.drop_column("failure_trace")
        batch_op.drop_column("failed_handler")
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_column("cause")

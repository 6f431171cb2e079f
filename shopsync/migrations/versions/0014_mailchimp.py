"""mailchimp: a store's Mailchimp account (encrypted key, audience, webhook)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailchimp_connection",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("server", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("audience_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("audience_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("webhook_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("double_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "ecommerce_store_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column("connected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"]),
        sa.PrimaryKeyConstraint("store_id"),
    )


def downgrade() -> None:
    op.drop_table("mailchimp_connection")

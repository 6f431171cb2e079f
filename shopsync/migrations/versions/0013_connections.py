"""connections: Stripe test and live side by side, store platforms, Checkout line items

A store's Stripe connection is now one per mode (primary key store + livemode), and
keeps its own endpoint secrets: an existing connection takes the secrets its store's
Stripe endpoint holds (the same ciphertext, so no key is needed here).

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

STRIPE_SECRETS = """
UPDATE stripe_connection SET secrets_encrypted = (
    SELECT e.secrets_encrypted FROM webhook_endpoint e
    WHERE e.store_id = stripe_connection.store_id AND e.provider = 'stripe'
    ORDER BY e.id LIMIT 1
)
"""
# Back to one connection per store: a store's test connection goes when it has a live one.
KEEP_ONE_PER_STORE = """
DELETE FROM stripe_connection WHERE livemode = :test AND store_id IN (
    SELECT store_id FROM stripe_connection WHERE livemode = :live
)
"""


def upgrade() -> None:
    with op.batch_alter_table("stripe_connection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secrets_encrypted", sa.Text(), nullable=True))
    op.execute(STRIPE_SECRETS)
    _primary_key(["store_id", "livemode"])
    op.create_table(
        "platform_connection",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("site", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("webhooks", sa.Text(), nullable=False),
        sa.Column("connected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"]),
        sa.PrimaryKeyConstraint("store_id", "provider"),
    )
    op.create_table(
        "line_item_fetch",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"]),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_line_item_fetch_due", "line_item_fetch", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_line_item_fetch_due", table_name="line_item_fetch")
    op.drop_table("line_item_fetch")
    op.drop_table("platform_connection")
    op.get_bind().execute(sa.text(KEEP_ONE_PER_STORE), {"test": False, "live": True})
    _primary_key(["store_id"])
    with op.batch_alter_table("stripe_connection", schema=None) as batch_op:
        batch_op.drop_column("secrets_encrypted")


def _primary_key(columns: list[str]) -> None:
    """Replace stripe_connection's primary key (SQLite cannot alter one: a copy is made)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("stripe_connection_pkey", "stripe_connection", type_="primary")
        op.create_primary_key("stripe_connection_pkey", "stripe_connection", columns)
        return
    names = ", ".join(STRIPE_COLUMNS)
    op.create_table(
        "_stripe_connection_copy",
        *_stripe_columns(),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"]),
        sa.PrimaryKeyConstraint(*columns),
    )
    # The names are this module's constant, not input.
    copy = f"INSERT INTO _stripe_connection_copy ({names}) SELECT {names} FROM stripe_connection"  # noqa: S608
    op.execute(copy)
    op.drop_table("stripe_connection")
    op.rename_table("_stripe_connection_copy", "stripe_connection")


STRIPE_COLUMNS = (
    "store_id",
    "livemode",
    "api_key_encrypted",
    "secrets_encrypted",
    "account_id",
    "endpoint_id",
    "previous_endpoint_id",
    "previous_until",
    "pending_key",
    "pending_since",
    "connected_at",
)


def _stripe_columns() -> list[sa.Column[object]]:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    return [
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("api_key_encrypted", text(), nullable=False),
        sa.Column("secrets_encrypted", sa.Text(), nullable=True),
        sa.Column("account_id", text(length=255), nullable=True),
        sa.Column("endpoint_id", text(length=255), nullable=True),
        sa.Column("previous_endpoint_id", text(length=255), nullable=True),
        sa.Column("previous_until", moment(), nullable=True),
        sa.Column("pending_key", text(length=100), nullable=True),
        sa.Column("pending_since", moment(), nullable=True),
        sa.Column("connected_at", moment(), nullable=False),
    ]

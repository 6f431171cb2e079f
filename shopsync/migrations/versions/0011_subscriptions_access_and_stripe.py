"""subscriptions access and stripe connections

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stripe_connection",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("api_key_encrypted", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("account_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("endpoint_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column(
            "previous_endpoint_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
        ),
        sa.Column("previous_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("pending_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("pending_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("connected_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
        ),
        sa.PrimaryKeyConstraint("store_id"),
    )
    op.create_table(
        "customer_access",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("access", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("features", sa.Text(), server_default="[]", nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("grace_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("next_check_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("entitlements", sa.Text(), nullable=True),
        sa.Column("entitlements_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["store.id"],
        ),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("customer_access", schema=None) as batch_op:
        batch_op.create_index("ix_customer_access_next_check", ["next_check_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_access_store_id"), ["store_id"], unique=False)

    with op.batch_alter_table("store_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("access_grace_days", sa.Integer(), server_default="3", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "features_source",
                sa.String(length=20),
                server_default="lookup_keys",
                nullable=False,
            )
        )

    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column("current_period_start", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("snapshot_rank", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.add_column(
            sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column("quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("items", sa.Text(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("trial_end", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "cancel_at_period_end", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("cancel_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("canceled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pause_behavior", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
        batch_op.add_column(
            sa.Column("pause_resumes_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("latest_invoice", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column("invoice_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.add_column(
            sa.Column("invoice_created", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("invoice_outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.add_column(
            sa.Column("invoice_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("paid_through", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "hosted_invoice_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
            )
        )
        batch_op.create_index("ix_subscription_customer", ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_subscription_customer_ref", ["store_id", "customer_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_subscription_customer_ref")
        batch_op.drop_index("ix_subscription_customer")
        batch_op.drop_column("hosted_invoice_url")
        batch_op.drop_column("paid_through")
        batch_op.drop_column("failed_since")
        batch_op.drop_column("invoice_at")
        batch_op.drop_column("invoice_outcome")
        batch_op.drop_column("invoice_created")
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("latest_invoice")
        batch_op.drop_column("pause_resumes_at")
        batch_op.drop_column("pause_behavior")
        batch_op.drop_column("canceled_at")
        batch_op.drop_column("cancel_at")
        batch_op.drop_column("cancel_at_period_end")
        batch_op.drop_column("trial_end")
        batch_op.drop_column("items")
        batch_op.drop_column("quantity")
        batch_op.drop_column("plan")
        batch_op.drop_column("snapshot_rank")
        batch_op.drop_column("current_period_start")
        batch_op.drop_column("customer_ref")

    with op.batch_alter_table("store_settings", schema=None) as batch_op:
        batch_op.drop_column("features_source")
        batch_op.drop_column("access_grace_days")

    with op.batch_alter_table("customer_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_access_store_id"))
        batch_op.drop_index("ix_customer_access_next_check")

    op.drop_table("customer_access")
    op.drop_table("stripe_connection")

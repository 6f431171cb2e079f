"""orders recomputed from per-object records: snapshot times, refund statuses, shipment cancels

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LEGACY_TOTAL_PREFIX = "legacy:order:"


def _time(name: str) -> sa.Column[object]:
    return sa.Column(name, sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)


def _flag(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(_time("source_updated_at"))
        batch_op.add_column(sa.Column("claimed_fulfillment", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("claimed_refunded", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payment_attempt", sa.String(length=30), nullable=True))
        batch_op.add_column(_time("payment_attempt_at"))
        batch_op.add_column(_time("canceled_changed_at"))
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.add_column(_flag("partial"))
        batch_op.add_column(_flag("canceled"))
        batch_op.add_column(_flag("is_return"))
        batch_op.add_column(_time("source_updated_at"))
        batch_op.add_column(
            sa.Column("field_times", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=30), nullable=False, server_default="succeeded")
        )
        batch_op.add_column(_flag("cumulative"))
        batch_op.add_column(_time("source_created_at"))
        batch_op.add_column(_time("source_updated_at"))
    _keep_refunded_totals()
    _keep_payment_stages()
    _keep_fulfillment_and_cancel()


def _keep_refunded_totals() -> None:
    """Refunded amounts were kept as a running maximum; now they are recomputed from rows.

    What an order counted beyond its refund rows came from cumulative reports (Stripe's
    `amount_refunded`, "refunded" snapshots), so it becomes one cumulative row.
    """
    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer),
        sa.column("store_id", sa.Integer),
        sa.column("refunded_amount", sa.Integer),
    )
    refunds = sa.table(
        "refund",
        sa.column("order_id", sa.Integer),
        sa.column("store_id", sa.Integer),
        sa.column("external_id", sa.String),
        sa.column("amount", sa.Integer),
        sa.column("status", sa.String),
        sa.column("cumulative", sa.Boolean),
    )
    counted = (
        sa.select(sa.func.coalesce(sa.func.sum(refunds.c.amount), 0))
        .where(refunds.c.order_id == orders.c.id)
        .scalar_subquery()
    )
    legacy = sa.select(
        orders.c.store_id,
        orders.c.id,
        sa.literal(LEGACY_TOTAL_PREFIX) + sa.cast(orders.c.id, sa.String),
        orders.c.refunded_amount,
        sa.literal("succeeded"),
        sa.true(),
    ).where(orders.c.refunded_amount > counted)
    op.execute(
        refunds.insert().from_select(
            ["store_id", "order_id", "external_id", "amount", "status", "cumulative"], legacy
        )
    )


def _keep_payment_stages() -> None:
    """Orders that reached paid keep it: a payment is now remembered as the attempt."""
    orders = sa.table(
        "orders", sa.column("payment_status", sa.String), sa.column("payment_attempt", sa.String)
    )
    reached_paid = ("paid", "partially_refunded", "refunded")
    op.execute(
        orders.update()
        .where(orders.c.payment_status.in_(reached_paid))
        .values(payment_attempt="paid")
    )
    op.execute(
        orders.update()
        .where(orders.c.payment_status == "payment_failed")
        .values(payment_attempt="payment_failed")
    )


def _keep_fulfillment_and_cancel() -> None:
    """What earlier rows reached stays reached until something newer says otherwise.

    Fulfilment stages become the order's claim (and a partially shipped order's parcels
    partial); orders' last change (shopsync's clock, never earlier than what it applied)
    dates their snapshot fields and their cancel, so only later news moves them.
    """
    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer),
        sa.column("fulfillment_status", sa.String),
        sa.column("claimed_fulfillment", sa.String),
        sa.column("canceled", sa.Boolean),
        sa.column("canceled_changed_at", sa.DateTime),
        sa.column("source_updated_at", sa.DateTime),
        sa.column("updated_at", sa.DateTime),
    )
    shipments = sa.table(
        "shipment", sa.column("order_id", sa.Integer), sa.column("partial", sa.Boolean)
    )
    shipped = ("shipped", "out_for_delivery", "delivered")
    status = orders.c.fulfillment_status
    op.execute(orders.update().where(status.in_(shipped)).values(claimed_fulfillment="shipped"))
    op.execute(
        orders.update()
        .where(status == "partially_shipped")
        .values(claimed_fulfillment="partially_shipped")
    )
    partly = sa.select(orders.c.id).where(status == "partially_shipped")
    op.execute(shipments.update().where(shipments.c.order_id.in_(partly)).values(partial=True))
    op.execute(orders.update().values(source_updated_at=orders.c.updated_at))
    op.execute(
        orders.update().where(orders.c.canceled).values(canceled_changed_at=orders.c.updated_at)
    )


def downgrade() -> None:
    refunds = sa.table("refund", sa.column("external_id", sa.String))
    op.execute(refunds.delete().where(refunds.c.external_id.like(LEGACY_TOTAL_PREFIX + "%")))
    with op.batch_alter_table("refund", schema=None) as batch_op:
        for name in ("source_updated_at", "source_created_at", "cumulative", "status"):
            batch_op.drop_column(name)
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        for name in ("field_times", "source_updated_at", "is_return", "canceled", "partial"):
            batch_op.drop_column(name)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        for name in (
            "canceled_changed_at",
            "payment_attempt_at",
            "payment_attempt",
            "claimed_refunded",
            "claimed_fulfillment",
            "source_updated_at",
        ):
            batch_op.drop_column(name)

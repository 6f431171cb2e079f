"""Disputes: flag the order when opened, record the outcome when closed."""

from __future__ import annotations

from handlers.stripe.objects import data_object
from handlers.stripe.provider import NAME
from handlers.stripe.refunds import order_for_charge
from shopsync.orders import payments
from shopsync.pipeline.registry import EventContext, registry

OUTCOMES = {"won": "won", "lost": "lost", "warning_closed": "won"}


@registry.on(NAME, "charge.dispute.created")
def open_dispute(ctx: EventContext) -> None:
    dispute = data_object(ctx)
    payments.record_dispute(ctx.work, order_for_charge(ctx, dispute), outcome=None)


@registry.on(NAME, "charge.dispute.closed")
def close_dispute(ctx: EventContext) -> None:
    dispute = data_object(ctx)
    outcome = OUTCOMES.get(str(dispute.get("status")))
    payments.record_dispute(ctx.work, order_for_charge(ctx, dispute), outcome=outcome)

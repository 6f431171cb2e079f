"""Checkout Sessions and PaymentIntents: an order gets paid, or its payment fails."""

from __future__ import annotations

from typing import Any

from handlers.stripe.objects import (
    amount,
    currency,
    customer_of,
    data_object,
    event_livemode,
    order_id_of,
    reference,
    text,
)
from handlers.stripe.provider import NAME
from shopsync.connections import line_items
from shopsync.errors import Ignored
from shopsync.models import Order
from shopsync.models.vocabulary import Milestone
from shopsync.orders import orders, payments
from shopsync.pipeline.registry import EventContext, registry

PAID_SESSION_STATUSES = ("paid", "no_payment_required")


@registry.on(NAME, "checkout.session.completed", "checkout.session.async_payment_succeeded")
def fulfil_checkout_session(ctx: EventContext) -> None:
    """Create or complete the order; mark it paid only once the money is there.

    The session lists no items: with a key of the event's mode connected they are read
    from Stripe after this commits (shopsync.connections.line_items).
    """
    session = data_object(ctx)
    order = _order_from_session(ctx, session)
    if session.get("payment_status") in PAID_SESSION_STATUSES:
        paid = amount(session, "amount_total")
        payments.record_payment(ctx.work, order, amount=paid, currency=currency(session))
    session_id, livemode = reference(session.get("id")), event_livemode(ctx)
    if session_id is not None and livemode is not None:
        line_items.request(ctx.work, order, session_id=session_id, livemode=livemode)


@registry.on(NAME, "checkout.session.async_payment_failed")
def record_checkout_payment_failure(ctx: EventContext) -> None:
    session = data_object(ctx)
    payments.record_payment_failed(ctx.work, _order_from_session(ctx, session))


@registry.on(NAME, "checkout.session.expired")
def note_expired_checkout(ctx: EventContext) -> None:
    """An abandoned checkout changes nothing, but the owner sees it on the timeline."""
    session = data_object(ctx)
    order = orders.find_order(ctx.work, _required_order_id(session))
    orders.note(ctx.work, order, Milestone.CHECKOUT_EXPIRED)


@registry.on(NAME, "payment_intent.succeeded")
def record_intent_payment(ctx: EventContext) -> None:
    intent = data_object(ctx)
    order = _order_for_intent(ctx, intent)
    paid = amount(intent, "amount_received", "amount")
    payments.record_payment(ctx.work, order, amount=paid, currency=currency(intent))


@registry.on(NAME, "payment_intent.payment_failed", "payment_intent.canceled")
def record_intent_failure(ctx: EventContext) -> None:
    payments.record_payment_failed(ctx.work, _order_for_intent(ctx, data_object(ctx)))


@registry.on(NAME, "payment_intent.processing")
def record_intent_processing(ctx: EventContext) -> None:
    """A bank debit (SEPA, ACH) was submitted: it succeeds or fails days later."""
    payments.record_payment_processing(ctx.work, _order_for_intent(ctx, data_object(ctx)))


def _order_from_session(ctx: EventContext, session: dict[str, Any]) -> Order:
    details = session.get("customer_details")
    details = details if isinstance(details, dict) else {}
    facts = orders.OrderFacts(
        external_id=_required_order_id(session),
        email=text(details.get("email")) or text(session.get("customer_email")),
        customer_name=text(details.get("name")),
        currency=currency(session),
        total_amount=amount(session, "amount_total"),
        customer=customer_of(session, details),
    )
    order = orders.upsert_order(ctx.work, facts)
    orders.link_payment(ctx.work, order, reference(session.get("payment_intent")))
    return order


def _order_for_intent(ctx: EventContext, intent: dict[str, Any]) -> Order:
    order = orders.find_order(ctx.work, _required_order_id(intent))
    orders.link_payment(ctx.work, order, reference(intent.get("id")))
    return order


def _required_order_id(obj: dict[str, Any]) -> str:
    order_id = order_id_of(obj)
    if order_id is None:
        raise Ignored("not linked to an order (no metadata.order_id or client_reference_id)")
    return order_id

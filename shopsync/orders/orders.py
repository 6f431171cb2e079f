"""Order service: what payment, refund, cancel and dispute events do to an order.

Knows nothing of HTTP or of any provider's payload shape: handlers translate payloads
into the facts below and call these functions inside the event's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from shopsync.clock import utcnow
from shopsync.crypto import new_token
from shopsync.errors import OrderNotYetKnown
from shopsync.models import Customer, Order, OrderLineItem, Refund
from shopsync.orders.lifecycle import (
    CANCELED,
    Fulfillment,
    Payment,
    advance_fulfillment,
    advance_payment,
    derive_state,
)
from shopsync.orders.timeline import add_milestone, start_timeline
from shopsync.pipeline.inbox import PAYMENT_KEY_PREFIX
from shopsync.pipeline.registry import EventContext


@dataclass(frozen=True)
class LineItemFacts:
    name: str
    quantity: int = 1
    sku: str | None = None
    unit_amount: int | None = None


@dataclass(frozen=True)
class OrderFacts:
    """What an event says about an order; None means "not said", never "clear it"."""

    external_id: str
    number: str | None = None
    email: str | None = None
    customer_name: str | None = None
    currency: str | None = None
    total_amount: int | None = None
    line_items: list[LineItemFacts] = field(default_factory=list)


def find_order(ctx: EventContext, external_id: str) -> Order:
    """The order, locked for this transaction; parks the event if it is not known yet."""
    order = _load(ctx, external_id)
    if order is None:
        raise OrderNotYetKnown(external_id)
    return order


def find_order_by_payment(ctx: EventContext, payment_reference: str) -> Order | None:
    statement = (
        select(Order)
        .where(Order.store_id == ctx.store.id, Order.payment_reference == payment_reference)
        .with_for_update()
    )
    return ctx.session.exec(statement).first()


def link_payment(ctx: EventContext, order: Order, payment_reference: str | None) -> None:
    """Remember the payment's id, waking events parked until it could be linked."""
    if payment_reference and order.payment_reference is None:
        order.payment_reference = payment_reference[:255]
        ctx.arrived.append(PAYMENT_KEY_PREFIX + order.payment_reference)


def find_order_for_payment(ctx: EventContext, payment_reference: str) -> Order:
    """The order paid by this payment; parks the event until the link is known."""
    order = find_order_by_payment(ctx, payment_reference)
    if order is None:
        raise OrderNotYetKnown(PAYMENT_KEY_PREFIX + payment_reference[:200])
    return order


def _load(ctx: EventContext, external_id: str) -> Order | None:
    statement = (
        select(Order)
        .where(Order.store_id == ctx.store.id, Order.external_id == external_id)
        .with_for_update()
    )
    return ctx.session.exec(statement).first()


def upsert_order(ctx: EventContext, facts: OrderFacts) -> Order:
    """Create the order or fill in what it lacks; never overwrites known values with None."""
    order = _load(ctx, facts.external_id)
    if order is None:
        order = _create(ctx, facts)
        has_line_items = False
    else:
        _fill(order, facts)
        if facts.email and order.customer_id is None:
            order.customer_id = _customer_id(ctx, facts.email, facts.customer_name)
        has_line_items = _has_line_items(ctx, order)
    if facts.line_items and not has_line_items:
        _add_line_items(ctx, order, facts.line_items)
    touch(ctx, order)
    return order


def _create(ctx: EventContext, facts: OrderFacts) -> Order:
    """A new order, inserted with everything the event says in one statement."""
    assert ctx.store.id is not None
    # The customer first: its upsert would otherwise flush a half-filled order row.
    customer_id = _customer_id(ctx, facts.email, facts.customer_name) if facts.email else None
    order = Order(
        store_id=ctx.store.id,
        external_id=facts.external_id,
        public_token=new_token(),
        customer_id=customer_id,
    )
    _fill(order, facts)
    ctx.session.add(order)
    ctx.session.flush()
    assert order.id is not None
    start_timeline(ctx.session, order.id)
    add_milestone(ctx, order, "created")
    ctx.arrived.append(facts.external_id)
    return order


def _fill(order: Order, facts: OrderFacts) -> None:
    for name in ("number", "email", "total_amount"):
        value = getattr(facts, name)
        if value is not None and getattr(order, name) is None:
            setattr(order, name, value)
    if facts.currency and order.currency is None:
        order.currency = facts.currency.upper()


def _customer_id(ctx: EventContext, email: str, name: str | None) -> int | None:
    """The store's customer with this email, created if new: one upsert, no flush."""
    dialect = postgresql if ctx.session.get_bind().dialect.name == "postgresql" else sqlite
    table = Customer.__table__  # type: ignore[attr-defined]
    insert = dialect.insert(table).values(
        store_id=ctx.store.id, email=email.strip().lower()[:320], name=name, created_at=utcnow()
    )
    # A no-op update on conflict is what makes RETURNING give the existing row's id.
    statement = insert.on_conflict_do_update(
        index_elements=["store_id", "email"], set_={"email": insert.excluded.email}
    ).returning(table.c.id)
    customer_id: int = ctx.session.execute(statement).scalar_one()
    return customer_id


def _has_line_items(ctx: EventContext, order: Order) -> bool:
    statement = select(OrderLineItem.id).where(OrderLineItem.order_id == order.id).limit(1)
    return ctx.session.exec(statement).first() is not None


def _add_line_items(ctx: EventContext, order: Order, items: list[LineItemFacts]) -> None:
    assert order.id is not None
    for item in items:
        ctx.session.add(
            OrderLineItem(
                store_id=order.store_id,
                order_id=order.id,
                name=item.name[:300],
                sku=item.sku,
                quantity=item.quantity,
                unit_amount=item.unit_amount,
            )
        )


def record_payment(ctx: EventContext, order: Order, *, amount: int, currency: str) -> None:
    """Mark paid when amount and currency match the order; otherwise flag it for the owner."""
    currency = currency.upper()
    if order.total_amount is None:
        order.total_amount, order.currency = amount, order.currency or currency
    if currency != order.currency or amount != order.total_amount:
        flag_attention(
            ctx,
            order,
            f"payment of {amount} {currency} does not match order total "
            f"{order.total_amount} {order.currency}",
        )
        return
    order.paid_amount = max(order.paid_amount, amount)
    # Flag only on the transition, so redeliveries don't re-raise a handled flag.
    if _advance_payment(ctx, order, Payment.PAID) and order.canceled:
        flag_attention(ctx, order, "payment received for a canceled order")


def record_payment_failed(ctx: EventContext, order: Order) -> None:
    _advance_payment(ctx, order, Payment.FAILED)


def record_refund(
    ctx: EventContext,
    order: Order,
    *,
    amount: int,
    refund_id: str | None = None,
    cumulative: bool = False,
) -> None:
    """Count a refund once: by its id, or as a provider's cumulative refunded total."""
    total = amount if cumulative else _refund_total_with(ctx, order, refund_id, amount)
    order.refunded_amount = max(order.refunded_amount, total)
    reference = order.total_amount or order.paid_amount
    full = reference > 0 and order.refunded_amount >= reference
    _advance_payment(ctx, order, Payment.REFUNDED if full else Payment.PARTIALLY_REFUNDED)


def _refund_total_with(ctx: EventContext, order: Order, refund_id: str | None, amount: int) -> int:
    assert order.id is not None
    refund_key = refund_id or f"event:{ctx.event.id}"
    existing = ctx.session.exec(
        select(Refund).where(Refund.store_id == order.store_id, Refund.external_id == refund_key)
    ).first()
    if existing is None:
        ctx.session.add(
            Refund(
                store_id=order.store_id, order_id=order.id, external_id=refund_key, amount=amount
            )
        )
        ctx.session.flush()
    amounts = ctx.session.exec(select(Refund.amount).where(Refund.order_id == order.id)).all()
    return sum(amounts)


def record_cancel(ctx: EventContext, order: Order) -> None:
    if not order.canceled:
        order.canceled = True
        add_milestone(ctx, order, CANCELED)
    touch(ctx, order)


def record_dispute(ctx: EventContext, order: Order, *, outcome: str | None) -> None:
    """Open a dispute (outcome None) or close it as "won"/"lost"; a close is never reopened."""
    order.disputed = True
    add_milestone(ctx, order, "disputed")
    if outcome in ("won", "lost"):
        order.dispute_status = outcome
        add_milestone(ctx, order, f"dispute_{outcome}")
    elif order.dispute_status is None:
        order.dispute_status = "open"
    touch(ctx, order)


def record_fulfillment(ctx: EventContext, order: Order, target: Fulfillment) -> None:
    if advance_fulfillment(order, target):
        add_milestone(ctx, order, target.value)
    touch(ctx, order)


def flag_attention(ctx: EventContext, order: Order, reason: str) -> None:
    order.needs_attention = reason[:300]
    add_milestone(ctx, order, "needs_attention", detail=reason)
    touch(ctx, order)


def _advance_payment(ctx: EventContext, order: Order, target: Payment) -> bool:
    moved = advance_payment(order, target)
    if moved:
        add_milestone(ctx, order, target.value)
    touch(ctx, order)
    return moved


def touch(ctx: EventContext, order: Order) -> None:
    order.state = derive_state(order)
    order.updated_at = utcnow()
    ctx.session.add(order)


__all__ = ["Fulfillment", "Payment", "add_milestone"]

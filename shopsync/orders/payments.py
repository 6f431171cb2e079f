"""Payments, refunds and disputes: what money moving does to an order."""

from __future__ import annotations

from sqlmodel import select

from shopsync.models import Order, Refund
from shopsync.orders.lifecycle import Milestone, Payment, advance_payment
from shopsync.orders.orders import flag_attention, touch
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork


def record_payment(work: UnitOfWork, order: Order, *, amount: int, currency: str) -> None:
    """Mark paid when amount and currency match the order; otherwise flag it for the owner."""
    currency = currency.upper()
    if order.total_amount is None:
        order.total_amount, order.currency = amount, order.currency or currency
    if currency != order.currency or amount != order.total_amount:
        flag_attention(
            work,
            order,
            f"payment of {amount} {currency} does not match order total "
            f"{order.total_amount} {order.currency}",
        )
        return
    order.paid_amount = max(order.paid_amount, amount)
    # Flag only on the transition, so redeliveries don't re-raise a handled flag.
    if _advance_payment(work, order, Payment.PAID) and order.canceled:
        flag_attention(work, order, "payment received for a canceled order")


def record_payment_failed(work: UnitOfWork, order: Order) -> None:
    _advance_payment(work, order, Payment.FAILED)


def record_refund(
    work: UnitOfWork,
    order: Order,
    *,
    amount: int,
    refund_id: str | None = None,
    cumulative: bool = False,
) -> None:
    """Count a refund once: by its id, or as a provider's cumulative refunded total."""
    total = amount if cumulative else _refund_total_with(work, order, refund_id, amount)
    order.refunded_amount = max(order.refunded_amount, total)
    reference = order.total_amount or order.paid_amount
    full = reference > 0 and order.refunded_amount >= reference
    _advance_payment(work, order, Payment.REFUNDED if full else Payment.PARTIALLY_REFUNDED)


def _refund_total_with(work: UnitOfWork, order: Order, refund_id: str | None, amount: int) -> int:
    assert order.id is not None
    # A refund without an id is known only by what reported it.
    refund_key = refund_id or f"cause:{work.cause.label}"
    existing = work.session.exec(
        select(Refund).where(Refund.store_id == order.store_id, Refund.external_id == refund_key)
    ).first()
    if existing is None:
        work.session.add(
            Refund(
                store_id=order.store_id, order_id=order.id, external_id=refund_key, amount=amount
            )
        )
        work.session.flush()
    amounts = work.session.exec(select(Refund.amount).where(Refund.order_id == order.id)).all()
    return sum(amounts)


DISPUTE_OUTCOMES = {"won": Milestone.DISPUTE_WON, "lost": Milestone.DISPUTE_LOST}


def record_dispute(work: UnitOfWork, order: Order, *, outcome: str | None) -> None:
    """Open a dispute (outcome None) or close it as "won"/"lost"; a close is never reopened."""
    order.disputed = True
    add_milestone(work, order, Milestone.DISPUTED)
    if outcome in DISPUTE_OUTCOMES:
        order.dispute_status = outcome
        add_milestone(work, order, DISPUTE_OUTCOMES[outcome])
    elif order.dispute_status is None:
        order.dispute_status = "open"
    touch(work, order)


def _advance_payment(work: UnitOfWork, order: Order, target: Payment) -> bool:
    moved = advance_payment(order, target)
    if moved:
        add_milestone(work, order, Milestone(target.value))
    touch(work, order)
    return moved

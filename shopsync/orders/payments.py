"""Payments and disputes: what money coming in does to an order (refunds: `refunds`).

What was received only grows (the largest payment any source reported), so a payment
is never undone; whether that covers the order is judged against its newest total, so
a payment for an edited total marks the order paid, and a part payment shows as
partially paid with what arrived. Attempts that have not paid (a bank debit processing,
a declined card) follow the newest by the provider's clock.
"""

from __future__ import annotations

from datetime import datetime

from shopsync.models import Order
from shopsync.orders.lifecycle import (
    PAYMENT_MILESTONES,
    Milestone,
    Payment,
    payment_stage,
    supersedes,
)
from shopsync.orders.orders import flag_attention, touch
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork

# At equal times: a failure outranks processing; a payment is final whatever its time.
ATTEMPT_RANK = {Payment.PROCESSING: 1, Payment.FAILED: 2, Payment.PAID: 3}


def record_payment(work: UnitOfWork, order: Order, *, amount: int, currency: str) -> None:
    """Count money received; a payment in another currency is flagged for the owner instead."""
    currency = currency.upper()
    if order.total_amount is None:
        order.total_amount, order.currency = amount, order.currency or currency
    if currency != order.currency:
        flag_attention(
            work,
            order,
            f"payment of {amount} {currency} does not match order total "
            f"{order.total_amount} {order.currency}",
        )
        return
    order.paid_amount = max(order.paid_amount, amount)
    # Flag only on the first payment, so redeliveries don't re-raise a handled flag.
    if _record_attempt(order, Payment.PAID, work.at) and order.canceled:
        flag_attention(work, order, "payment received for a canceled order")
    settle_payment(work, order)


def record_payment_failed(work: UnitOfWork, order: Order, *, as_of: datetime | None = None) -> None:
    record_attempt(work, order, Payment.FAILED, as_of=as_of)


def record_payment_processing(
    work: UnitOfWork, order: Order, *, as_of: datetime | None = None
) -> None:
    """A payment that takes days (a bank debit) is under way."""
    record_attempt(work, order, Payment.PROCESSING, as_of=as_of)


def record_attempt(
    work: UnitOfWork, order: Order, attempt: Payment, *, as_of: datetime | None = None
) -> None:
    if _record_attempt(order, attempt, as_of or work.at):
        settle_payment(work, order)


def _record_attempt(order: Order, attempt: Payment, at: datetime) -> bool:
    """Keep the newest attempt; a payment is never replaced. Returns whether it changed."""
    held = order.payment_attempt
    if held == Payment.PAID:
        return False
    held_rank = ATTEMPT_RANK[Payment(held)] if held else 0
    if attempt != Payment.PAID and not supersedes(
        at, ATTEMPT_RANK[attempt], order.payment_attempt_at, held_rank, ties=False
    ):
        return False
    order.payment_attempt, order.payment_attempt_at = attempt, at
    return held != attempt


def settle_payment(work: UnitOfWork, order: Order) -> None:
    """Recompute the payment stage; reaching a stage for the first time is a milestone."""
    stage = payment_stage(order)
    if stage != order.payment_status:
        order.payment_status = stage
        if stage in PAYMENT_MILESTONES:
            add_milestone(work, order, Milestone(stage.value))
    touch(work, order)


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

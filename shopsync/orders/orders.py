"""Orders: finding, creating and filling them in, cancelling and flagging them.

Knows nothing of HTTP, the pipeline or any provider's payload shape: callers translate
what they know into the facts below and call these functions with a `UnitOfWork`.

Order snapshots (Shopify, WooCommerce) carry their own time (`OrderFacts.as_of`): the
number, email, total and items follow the newest snapshot by that time, so an edited
order shows its edit and a stale snapshot changes nothing. Facts without a time (a
Stripe checkout) only fill in what is missing. Cancel and restore statements carry
their source's time too, and the newest one decides (`set_canceled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from shopsync import waits
from shopsync.clock import utcnow
from shopsync.crypto import new_token
from shopsync.customers.customers import CustomerFacts, upsert_customer
from shopsync.db import hold
from shopsync.errors import NotYetKnown
from shopsync.models import Order
from shopsync.models.limits import column_limit
from shopsync.orders.children import start_children
from shopsync.orders.items import (
    LineItemFacts,
    add_line_items,
    line_items,
    replace_line_items,
)
from shopsync.orders.lifecycle import Milestone, derive_state, supersedes
from shopsync.orders.timeline import add_milestone, start_timeline
from shopsync.urls import safe_web_url
from shopsync.work import UnitOfWork


def _known_orders(session: Session, store_id: int, external_ids: Sequence[str]) -> set[str]:
    statement = select(Order.external_id).where(
        Order.store_id == store_id, col(Order.external_id).in_(list(external_ids))
    )
    return set(session.exec(statement))


def _known_payments(session: Session, store_id: int, references: Sequence[str]) -> set[str]:
    statement = select(Order.payment_reference).where(
        Order.store_id == store_id, col(Order.payment_reference).in_(list(references))
    )
    return {reference for reference in session.exec(statement) if reference}


# An event about an order not seen yet waits for it; so does one about a payment whose
# order has not been linked to it yet.
ORDER = waits.register("order", _known_orders)
PAYMENT = waits.register("payment", _known_payments)


@dataclass(frozen=True)
class OrderFacts:
    """What a source says about an order; None means "not said", never "clear it"."""

    external_id: str
    number: str | None = None
    # Where the order's emails go (the address given with the order).
    email: str | None = None
    customer_name: str | None = None
    currency: str | None = None
    total_amount: int | None = None
    line_items: list[LineItemFacts] = field(default_factory=list)
    # Who the customer is to the provider (its id, address, marketing choice), when said.
    customer: CustomerFacts | None = None
    # Where the customer can pay again if a payment fails (http or https only).
    payment_url: str | None = None

    def customer_facts(self) -> CustomerFacts | None:
        """The customer to record: the provider's account, else the order's address."""
        if self.customer is not None:
            return CustomerFacts(
                email=self.customer.email or self.email,
                name=self.customer.name or self.customer_name,
                provider=self.customer.provider,
                external_id=self.customer.external_id,
                accepts_marketing=self.customer.accepts_marketing,
            )
        if self.email:
            return CustomerFacts(email=self.email, name=self.customer_name)
        return None

    # The snapshot's own time (its `updated_at`); None: facts that only fill in.
    as_of: datetime | None = None


def find_order(work: UnitOfWork, external_id: str) -> Order:
    """The order, locked for this transaction; waits (NotYetKnown) if it is not known yet."""
    order = _load(work, external_id)
    if order is None:
        raise NotYetKnown(ORDER.key(external_id))
    return order


def find_order_by_payment(work: UnitOfWork, payment_reference: str) -> Order | None:
    statement = (
        select(Order)
        .where(Order.store_id == work.store_id, Order.payment_reference == payment_reference)
        .with_for_update()
    )
    return _held(work, work.session.exec(statement).first())


def find_order_for_payment(work: UnitOfWork, payment_reference: str) -> Order:
    """The order paid by this payment; waits until the link is known."""
    order = find_order_by_payment(work, payment_reference)
    if order is None:
        raise NotYetKnown(PAYMENT.key(payment_reference))
    return order


def link_payment(work: UnitOfWork, order: Order, payment_reference: str | None) -> None:
    """Remember the payment's id, waking work that waited until it could be linked."""
    if payment_reference and order.payment_reference is None:
        order.payment_reference = payment_reference[: column_limit(Order, "payment_reference")]
        work.made_known(PAYMENT.key(order.payment_reference))


def _load(work: UnitOfWork, external_id: str) -> Order | None:
    statement = (
        select(Order)
        .where(Order.store_id == work.store_id, Order.external_id == external_id)
        .with_for_update()
    )
    return _held(work, work.session.exec(statement).first())


def _held(work: UnitOfWork, order: Order | None) -> Order | None:
    # The transaction's finishers read the order again (its webhook body, its email).
    if order is not None:
        hold(work.session, order)
    return order


def upsert_order(work: UnitOfWork, facts: OrderFacts) -> Order:
    """Create the order, follow a newer snapshot, or fill in what it lacks.

    Never overwrites a known value with None ("not said"), nor with an older snapshot.
    """
    order = _load(work, facts.external_id)
    if order is None:
        order = _create(work, facts)
        if facts.line_items:
            add_line_items(work, order, facts.line_items)
    elif facts.as_of is not None and is_newest(order, facts.as_of):
        _follow(work, order, facts)
    else:
        _fill_in(work, order, facts)
    touch(work, order)
    return order


def is_newest(order: Order, as_of: datetime | None) -> bool:
    """Whether a snapshot of this time is at least as new as the newest one applied."""
    if as_of is None:
        return order.source_updated_at is None
    return supersedes(as_of, 0, order.source_updated_at, 0)


def _create(work: UnitOfWork, facts: OrderFacts) -> Order:
    """A new order, inserted with everything the facts say in one statement."""
    # The customer first: its upsert would otherwise flush a half-filled order row.
    customer_id = _customer_id(work, facts)
    order = Order(
        store_id=work.store_id,
        external_id=facts.external_id,
        public_token=new_token(),
        customer_id=customer_id,
        source_updated_at=facts.as_of,
    )
    _fill(order, facts)
    work.session.add(order)
    work.session.flush()
    hold(work.session, order)
    assert order.id is not None
    start_timeline(work.session, order.id)
    start_children(work.session, order.id)
    add_milestone(work, order, Milestone.CREATED)
    work.made_known(ORDER.key(facts.external_id))
    return order


def _fill(order: Order, facts: OrderFacts) -> None:
    for name in ("number", "email", "total_amount"):
        value = getattr(facts, name)
        if value is not None and getattr(order, name) is None:
            setattr(order, name, value)
    if order.payment_url is None:
        order.payment_url = safe_web_url(facts.payment_url, column_limit(Order, "payment_url"))
    if facts.currency and order.currency is None:
        order.currency = facts.currency.upper()


def _fill_in(work: UnitOfWork, order: Order, facts: OrderFacts) -> None:
    _fill(order, facts)
    if order.customer_id is None or facts.customer is not None:
        # A provider's account may have moved address or changed its marketing choice.
        order.customer_id = _customer_id(work, facts) or order.customer_id
    if facts.line_items and not line_items(work, order):
        add_line_items(work, order, facts.line_items)


def _follow(work: UnitOfWork, order: Order, facts: OrderFacts) -> None:
    """Take what a snapshot at least as new as any applied says (an edit, say)."""
    order.source_updated_at = facts.as_of
    email_before = order.email
    for name in ("number", "email", "total_amount"):
        value = getattr(facts, name)
        if value is not None:
            setattr(order, name, value)
    _fill(order, facts)
    if order.customer_id is None or facts.customer is not None or order.email != email_before:
        order.customer_id = _customer_id(work, facts) or order.customer_id
    if facts.line_items:
        replace_line_items(work, order, facts.line_items)


def _customer_id(work: UnitOfWork, facts: OrderFacts) -> int | None:
    customer = facts.customer_facts()
    return upsert_customer(work, customer) if customer is not None else None


def record_cancel(work: UnitOfWork, order: Order) -> None:
    """The order is canceled, as of the unit of work's time."""
    set_canceled(work, order, canceled=True)


def set_canceled(
    work: UnitOfWork, order: Order, *, canceled: bool, as_of: datetime | None = None
) -> None:
    """A source's word that the order is canceled, or no longer is, as of its own time.

    The newest word wins; at equal times a cancel beats a restore, so a late, stale
    cancel never wins and a stale snapshot from before a cancel never revives it.
    """
    at = as_of or work.at
    if not supersedes(at, int(canceled), order.canceled_changed_at, int(order.canceled)):
        return
    order.canceled_changed_at = at
    if canceled != order.canceled:
        order.canceled = canceled
        add_milestone(work, order, Milestone.CANCELED if canceled else Milestone.RESTORED)
        touch(work, order)


def flag_attention(work: UnitOfWork, order: Order, reason: str) -> None:
    order.needs_attention = reason[: column_limit(Order, "needs_attention")]
    add_milestone(work, order, Milestone.NEEDS_ATTENTION, detail=reason)
    touch(work, order)


def note(work: UnitOfWork, order: Order, milestone: Milestone, detail: str | None = None) -> None:
    """A timeline note that changes nothing else (an expired checkout, say)."""
    add_milestone(work, order, milestone, detail=detail)


def touch(work: UnitOfWork, order: Order) -> None:
    order.state = derive_state(order)
    order.updated_at = utcnow()
    order.version += 1
    work.session.add(order)

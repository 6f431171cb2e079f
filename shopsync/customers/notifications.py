"""Order emails: which moments are written to the outbox, and which no longer go out.

When a unit of work finishes, each order milestone it reached for the first time that
customers hear about (see `customers.moments`) becomes one email in the outbox, in the
same transaction, under the key (order, milestone). Nothing is written when:
- the deployment sends no email (no `SMTP_URL`: no email context is configured);
- the event is older than the store's maximum age, by the provider's clock (`work.at`),
  so a replay of last month's events tells customers nothing new;
- the store turned that moment off;
- the order has no usable address, or its customer's order emails are off (consent).

When its turn to be sent comes, a written email is skipped, not sent, if a later moment
superseded it (`customers.moments`), or if since it was written the store turned the
moment off or the customer's order emails were turned off.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlmodel import Session, select

from shopsync.clock import utcnow
from shopsync.customers.consent import may_send_order_email
from shopsync.customers.customers import normalize_email
from shopsync.customers.email_settings import moments_off, settings_of
from shopsync.customers.letters import (
    EmailContext,
    Envelope,
    OrderLetter,
    compose,
    compose_status_link,
)
from shopsync.customers.moments import (
    MOMENT_FOR_MILESTONE,
    email_key,
    milestone_of_key,
    superseding,
)
from shopsync.models import (
    Customer,
    Order,
    OrderLineItem,
    OutboxKind,
    OutboxMessage,
    Shipment,
    StoreSettings,
)
from shopsync.models.vocabulary import Milestone
from shopsync.orders.children import children
from shopsync.orders.timeline import ORDER_SUBJECT
from shopsync.outbox.rows import post
from shopsync.work import UnitOfWork, on_finish

EMAILED = frozenset(m.value for m in MOMENT_FOR_MILESTONE)
# Emails that say where the parcels are.
WITH_TRACKING = frozenset(
    {Milestone.PARTIALLY_SHIPPED, Milestone.SHIPPED, Milestone.OUT_FOR_DELIVERY}
)

_context: EmailContext | None = None


def configure(context: EmailContext | None) -> None:
    """Set by the process's bootstrap: None when the deployment sends no email."""
    global _context  # noqa: PLW0603 - one email context per process, like its runtime
    _context = context


def email_context() -> EmailContext | None:
    """Where links point and the default sender; None when the deployment sends no email."""
    return _context


@on_finish
def write_order_emails(work: UnitOfWork) -> None:
    context = _context
    reached = [
        (m.subject_id, Milestone(m.name))
        for m in work.moments
        if m.subject == ORDER_SUBJECT and m.name in EMAILED
    ]
    if context is None or not reached:
        return
    settings = settings_of(work.session, work.store_id)
    if utcnow() - work.at > timedelta(days=settings.email_max_age_days):
        return
    off = moments_off(settings)
    for order_id, milestone in reached:
        if MOMENT_FOR_MILESTONE[milestone].value not in off:
            _write(work, context, settings, order_id, milestone)


def _write(
    work: UnitOfWork,
    context: EmailContext,
    settings: StoreSettings,
    order_id: int,
    milestone: Milestone,
) -> None:
    order = work.session.get(Order, order_id)
    assert order is not None
    customer = work.session.get(Customer, order.customer_id) if order.customer_id else None
    recipient = recipient_of(order, customer)
    if recipient is None or not may_send_order_email(customer):
        return
    letter = OrderLetter(
        store_name=work.store.name,
        settings=settings,
        order=order,
        milestone=milestone,
        recipient=recipient,
        customer_name=customer.name if customer else None,
        line_items=children(work.session, OrderLineItem, order_id),
        shipments=children(work.session, Shipment, order_id) if milestone in WITH_TRACKING else [],
    )
    key = email_key(order_id, milestone.value)
    payload = compose(context, letter, key=key, at=utcnow())
    post_email(work, payload, key=key, recipient=recipient, order_id=order_id)


def post_email(
    work: UnitOfWork,
    payload: dict[str, str],
    *,
    key: str,
    recipient: str,
    order_id: int | None = None,
) -> None:
    """Write a composed email to the outbox, listed under its subject."""
    post(
        work,
        kind=OutboxKind.EMAIL,
        key=key,
        target=recipient,
        summary=payload["subject"],
        payload=payload,
        order_id=order_id,
    )


STATUS_LINK_KEY_PREFIX = "email:find_my_order:"


def write_status_link(work: UnitOfWork, order: Order, *, recipient: str, key: str) -> bool:
    """Email an order's status page link to `recipient`; False when no email is sent here.

    The customer asked for it, so neither the store's moment switches nor the age rule
    apply; it goes only to the address the order was placed with (the caller's check).
    """
    context = _context
    if context is None:
        return False
    envelope = Envelope(work.store.name, settings_of(work.session, work.store_id), recipient)
    payload = compose_status_link(context, envelope, order, key=key, at=utcnow())
    post_email(work, payload, key=key, recipient=recipient, order_id=order.id)
    return True


def recipient_of(order: Order, customer: Customer | None) -> str | None:
    """The order's own address, else its customer's."""
    return normalize_email(order.email) or (customer.email if customer else None)


SkipRule = Callable[[Session, OutboxMessage], "str | None"]
# Other kinds of customer email (by key prefix) say themselves why one no longer goes.
SKIP_RULES: dict[str, SkipRule] = {}


def register_skip_rule(prefix: str, rule: SkipRule) -> None:
    SKIP_RULES[prefix] = rule


def _asked_for(_session: Session, _message: OutboxMessage) -> str | None:
    """An email the customer asked for (their status link) always goes."""
    return None


def reason_to_skip(session: Session, message: OutboxMessage) -> str | None:
    """Why a written email should not be sent now, or None to send it."""
    for prefix, rule in SKIP_RULES.items():
        if message.idempotency_key.startswith(prefix):
            return rule(session, message)
    return _reason_to_skip_order_email(session, message)


def _reason_to_skip_order_email(session: Session, message: OutboxMessage) -> str | None:
    milestone = milestone_of_key(message.idempotency_key)
    later = superseding(milestone, _written_milestones(session, message))
    if later is not None:
        return f"superseded by {later}"
    moment = MOMENT_FOR_MILESTONE[Milestone(milestone)].value
    if moment in moments_off(settings_of(session, message.store_id)):
        return f"the store turned {moment} emails off"
    order = session.get(Order, message.order_id) if message.order_id else None
    customer = session.get(Customer, order.customer_id) if order and order.customer_id else None
    if customer is not None and not customer.transactional_email:
        return "the customer's order emails are off"
    return None


def _written_milestones(session: Session, message: OutboxMessage) -> set[str]:
    statement = select(OutboxMessage.idempotency_key).where(
        OutboxMessage.order_id == message.order_id,
        OutboxMessage.kind == OutboxKind.EMAIL.value,
        OutboxMessage.id != message.id,
    )
    return {milestone_of_key(key) for key in session.exec(statement)}


register_skip_rule(STATUS_LINK_KEY_PREFIX, _asked_for)

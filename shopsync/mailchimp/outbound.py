"""What a store's Mailchimp is told, written to the outbox with the change that causes it.

Only for a store with a Mailchimp account connected: without one this costs one cached
read per transaction with order or access moments, and writes nothing.

    order paid                  the customer joins the audience, if they gave marketing
                                consent (status_if_new: subscribed, or pending under
                                double opt-in); the e-commerce customer, products and
                                order (financial_status paid); member event order_paid
    partially/fully shipped     member event order_shipped
    delivered                   member event order_delivered
    refunded, part refunded,    the e-commerce order's financial_status becomes
    canceled, restored          refunded, partially_refunded, cancelled or paid again
                                (only for an order sent as paid)
    access changed              the member's plan tags (`plan:<lookup key>`), active for
                                the plan held, inactive for the customer's other plans

Member events and tags go only to customers with marketing consent: they are audience
members, and Mailchimp refuses events for an address that is not one. A customer without
consent is at most a transactional contact, which the e-commerce customer makes.
Every message is keyed by customer or order (see mailchimp.operations): a duplicated or
replayed webhook writes nothing new, and a customer is asked into the audience once.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from shopsync.clock import iso
from shopsync.mailchimp import commerce
from shopsync.mailchimp.operations import (
    Op,
    event_key,
    member_key,
    order_key,
    order_status_key,
    status_if_new,
    tags_key,
    tags_key_prefix,
)
from shopsync.models import (
    Customer,
    CustomerAccess,
    MailchimpConnection,
    Order,
    OrderLineItem,
    OutboxKind,
    OutboxMessage,
    Subscription,
)
from shopsync.models.vocabulary import Milestone
from shopsync.orders.timeline import ORDER_SUBJECT
from shopsync.outbox.rows import post
from shopsync.subscriptions.answers import ACCESS_SUBJECT
from shopsync.work import Moment, UnitOfWork, on_finish

EVENT_FOR_MILESTONE = {
    Milestone.PAID: "order_paid",
    Milestone.PARTIALLY_SHIPPED: "order_shipped",
    Milestone.SHIPPED: "order_shipped",
    Milestone.DELIVERED: "order_delivered",
}
FINANCIAL_STATUS_FOR_MILESTONE = {
    Milestone.PARTIALLY_REFUNDED: "partially_refunded",
    Milestone.REFUNDED: "refunded",
    Milestone.CANCELED: "cancelled",
    # The cancel was taken back by its source: the order stands as paid again.
    Milestone.RESTORED: "paid",
}
TOLD = {m.value for m in (*EVENT_FOR_MILESTONE, *FINANCIAL_STATUS_FOR_MILESTONE)}
ACCOUNT_CACHE = "shopsync.mailchimp_account"
TAG_PREFIX = "plan:"


@on_finish
def tell_mailchimp(work: UnitOfWork) -> None:
    orders = [m for m in work.moments if m.subject == ORDER_SUBJECT and m.name in TOLD]
    customers = sorted({m.subject_id for m in work.moments if m.subject == ACCESS_SUBJECT})
    if not (orders or customers):
        return
    account = account_of(work.session, work.store_id)
    if account is None:
        return
    for moment in orders:
        _order_moment(work, account, moment)
    for customer_id in customers:
        _tags(work, customer_id)


def account_of(session: Session, store_id: int) -> MailchimpConnection | None:
    """The store's Mailchimp account, read once per transaction (most stores have none)."""
    cache: dict[int, MailchimpConnection | None] = session.info.setdefault(ACCOUNT_CACHE, {})
    if store_id not in cache:
        cache[store_id] = session.get(MailchimpConnection, store_id)
    return cache[store_id]


def _order_moment(work: UnitOfWork, account: MailchimpConnection, moment: Moment) -> None:
    order = work.session.get(Order, moment.subject_id)
    if order is None or order.customer_id is None:
        return
    # Consent was recorded by this same work with a bulk UPDATE: read it afresh.
    customer = work.session.get(Customer, order.customer_id, populate_existing=True)
    if customer is None:
        return
    milestone = Milestone(moment.name)
    if milestone is Milestone.PAID:
        _paid(work, account, order, customer)
    if milestone in FINANCIAL_STATUS_FOR_MILESTONE:
        _order_status(work, order, FINANCIAL_STATUS_FOR_MILESTONE[milestone], milestone)
    if milestone in EVENT_FOR_MILESTONE and customer.marketing_consent:
        _event(work, order, customer, EVENT_FOR_MILESTONE[milestone])


def _paid(work: UnitOfWork, account: MailchimpConnection, order: Order, customer: Customer) -> None:
    if customer.marketing_consent:
        _member(work, account, customer, order)
    if not order.currency:
        return  # Mailchimp needs the order's currency; a member event still goes.
    assert order.id is not None
    items = _items(work.session, order.id)
    payload = {
        "op": Op.ORDER.value,
        "customer": commerce.customer_body(customer),
        "products": commerce.products(order, items),
        "order": commerce.order_body(order, customer, items),
    }
    _post(
        work,
        order_key(order.id),
        customer,
        f"order {order.external_id} (paid)",
        payload,
        order=order,
    )


def _member(
    work: UnitOfWork, account: MailchimpConnection, customer: Customer, order: Order
) -> None:
    assert customer.id is not None
    status = status_if_new(account.double_opt_in)
    payload = {
        "op": Op.MEMBER.value,
        "email": customer.email,
        "status_if_new": status,
        "merge_fields": _merge_fields(customer.name),
    }
    summary = f"audience member ({status} if new)"
    _post(work, member_key(customer.id), customer, summary, payload, order=order)


def _order_status(work: UnitOfWork, order: Order, status: str, milestone: Milestone) -> None:
    assert order.id is not None
    if not _written(work.session, order_key(order.id)):
        return  # never sent as paid: Mailchimp has no such order to update
    payload: dict[str, Any] = {
        "op": Op.ORDER_STATUS.value,
        "order_id": order.external_id,
        "changes": {"financial_status": status},
    }
    if milestone is Milestone.CANCELED:
        payload["changes"]["cancelled_at_foreign"] = iso(work.at)
    post(
        work,
        kind=OutboxKind.MAILCHIMP,
        key=order_status_key(order.id, milestone.value),
        target=order.external_id,
        summary=f"order {order.external_id} ({status})",
        payload=payload,
        order_id=order.id,
    )


def _event(work: UnitOfWork, order: Order, customer: Customer, name: str) -> None:
    assert order.id is not None
    payload = {
        "op": Op.EVENT.value,
        "email": customer.email,
        "name": name,
        "occurred_at": iso(work.at),
        "properties": {
            "order_id": order.external_id,
            "order_number": order.number or order.external_id,
        },
    }
    _post(work, event_key(order.id, name), customer, f"event {name}", payload, order=order)


def _tags(work: UnitOfWork, customer_id: int) -> None:
    customer = work.session.get(Customer, customer_id)
    access = work.session.get(CustomerAccess, customer_id)
    if customer is None or access is None or not customer.marketing_consent:
        return
    held = TAG_PREFIX + access.plan if access.access and access.plan else None
    statement = select(Subscription.plan).where(
        Subscription.customer_id == customer_id, col(Subscription.plan).is_not(None)
    )
    # Every plan tag the member may carry: the customer's plans and those told before.
    names = {TAG_PREFIX + plan for plan in work.session.exec(statement) if plan}
    names |= _told_tags(work.session, customer_id)
    if held:
        names.add(held)
    if not names:
        return
    tags = [
        {"name": name, "status": "active" if name == held else "inactive"} for name in sorted(names)
    ]
    payload = {"op": Op.TAGS.value, "email": customer.email, "tags": tags}
    _post(work, tags_key(customer_id, access.version), customer, "plan tags", payload)


def _told_tags(session: Session, customer_id: int) -> set[str]:
    """The plan tags the newest earlier message made active."""
    statement = (
        select(OutboxMessage.payload)
        .where(col(OutboxMessage.idempotency_key).startswith(tags_key_prefix(customer_id)))
        .order_by(col(OutboxMessage.id).desc())
    )
    newest = session.exec(statement).first()
    if newest is None:
        return set()
    tags = json.loads(newest).get("tags") or []
    return {t["name"] for t in tags if isinstance(t, dict) and t.get("status") == "active"}


def _post(
    work: UnitOfWork,
    key: str,
    customer: Customer,
    summary: str,
    payload: dict[str, Any],
    *,
    order: Order | None = None,
) -> None:
    post(
        work,
        kind=OutboxKind.MAILCHIMP,
        key=key,
        target=customer.email,
        summary=summary,
        payload=payload,
        order_id=order.id if order else None,
    )


def _merge_fields(name: str | None) -> dict[str, str]:
    names = commerce.split_name(name)
    fields = {"FNAME": names.get("first_name"), "LNAME": names.get("last_name")}
    return {key: value for key, value in fields.items() if value}


def _items(session: Session, order_id: int) -> list[OrderLineItem]:
    statement = (
        select(OrderLineItem)
        .where(OrderLineItem.order_id == order_id)
        .order_by(col(OrderLineItem.id))
    )
    return list(session.exec(statement))


def _written(session: Session, key: str) -> bool:
    statement = select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    return session.exec(statement).first() is not None

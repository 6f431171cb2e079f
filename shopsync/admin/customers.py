"""Customers as the admin shows them: search, and one customer with their consents,
provider ids, orders, subscriptions, access now and why, and the emails sent to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from shopsync.admin.rows import PAGE_SIZE, Page, escape_like, page_of
from shopsync.customers import consent
from shopsync.models import (
    Customer,
    CustomerAccess,
    CustomerIdentity,
    Order,
    OutboxKind,
    OutboxMessage,
    Subscription,
)
from shopsync.subscriptions.access import AccessAnswer, Explanation
from shopsync.subscriptions.answers import explanation_of, told_answer
from shopsync.work import Cause, unit_of_work

SEARCH_LIMIT = 200
SHOWN = 50


@dataclass(frozen=True)
class CustomerDetail:
    customer: Customer
    # (provider, the provider's id), e.g. ("stripe", "cus_...").
    identities: list[tuple[str, str]]
    orders: list[Order]
    subscriptions: list[Subscription]
    # Access now, worked out by the rule, with the line of the rule that applied.
    access: Explanation
    # What the store's systems were last told (None: never told anything).
    told: AccessAnswer | None
    told_version: int
    emails: list[OutboxMessage]


def search_customers(
    engine: Engine, *, store_id: int, query: str = "", before: int | None = None
) -> Page[Customer]:
    """By email or name (any part of either, case aside), newest first."""
    statement = select(Customer).where(Customer.store_id == store_id)
    wanted = query.strip()[:SEARCH_LIMIT].lower()
    if wanted:
        pattern = "%" + escape_like(wanted) + "%"
        statement = statement.where(
            or_(
                col(Customer.email).like(pattern, escape="\\"),
                func.lower(col(Customer.name)).like(pattern, escape="\\"),
            )
        )
    if before:
        statement = statement.where(col(Customer.id) < before)
    statement = statement.order_by(col(Customer.id).desc()).limit(PAGE_SIZE + 1)
    with Session(engine) as session:
        return page_of(list(session.exec(statement)))


def customer_detail(
    engine: Engine, *, store_id: int, customer_id: int, now: datetime
) -> CustomerDetail | None:
    """The customer, if they are this store's."""
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.store_id != store_id:
            return None
        orders = list(
            session.exec(
                select(Order)
                .where(Order.store_id == store_id, Order.customer_id == customer_id)
                .order_by(col(Order.id).desc())
                .limit(SHOWN)
            )
        )
        told = session.get(CustomerAccess, customer_id)
        return CustomerDetail(
            customer=customer,
            identities=_identities(session, customer_id),
            orders=orders,
            subscriptions=list(
                session.exec(
                    select(Subscription)
                    .where(
                        Subscription.store_id == store_id, Subscription.customer_id == customer_id
                    )
                    .order_by(col(Subscription.id).desc())
                )
            ),
            access=explanation_of(session, store_id, customer_id, now),
            told=told_answer(told) if told is not None and told.version else None,
            told_version=told.version if told is not None else 0,
            emails=_emails(session, store_id, customer.email, [o.id for o in orders if o.id]),
        )


def set_order_emails(
    engine: Engine, *, store_id: int, customer_id: int, on: bool, actor: str
) -> bool:
    """Turn the customer's order emails on or off; False if they are not this store's."""
    with unit_of_work(engine, store_id=store_id, cause=Cause.admin(actor)) as work:
        customer = work.session.get(Customer, customer_id)
        if customer is None or customer.store_id != store_id:
            return False
        consent.set_transactional(work, customer, on=on)
    return True


def _identities(session: Session, customer_id: int) -> list[tuple[str, str]]:
    statement = (
        select(CustomerIdentity.provider, CustomerIdentity.external_id)
        .where(CustomerIdentity.customer_id == customer_id)
        .order_by(col(CustomerIdentity.provider), col(CustomerIdentity.external_id))
    )
    return [(provider, external_id) for provider, external_id in session.exec(statement)]


def _emails(
    session: Session, store_id: int, email: str, order_ids: list[int]
) -> list[OutboxMessage]:
    """Emails to their address, and emails about their orders (sent before a move)."""
    about = [col(OutboxMessage.target) == email]
    if order_ids:
        about.append(col(OutboxMessage.order_id).in_(order_ids))
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.store_id == store_id,
            OutboxMessage.kind == OutboxKind.EMAIL,
            or_(*about),
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(SHOWN)
    )
    return list(session.exec(statement))

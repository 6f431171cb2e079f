"""Orders as the admin shows them: search, and one order with what caused each change."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from shopsync.admin.rows import PAGE_SIZE, Page, escape_like, page_of
from shopsync.models import Customer, Order, OutboxMessage
from shopsync.orders.parts import OrderParts, order_parts

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class OrderRow:
    order: Order
    customer_name: str | None

    @property
    def id(self) -> int | None:
        return self.order.id


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    customer_name: str | None
    parts: OrderParts
    # Emails, store webhooks and Mailchimp calls about this order.
    messages: list[OutboxMessage]


def search_orders(
    engine: Engine, *, store_id: int, query: str = "", before: int | None = None
) -> Page[OrderRow]:
    """By number or store order id (`1001` finds `#1001`), or by email (with an @)."""
    statement = (
        select(Order, Customer.name)
        .join(Customer, col(Order.customer_id) == col(Customer.id), isouter=True)
        .where(Order.store_id == store_id)
    )
    wanted = query.strip()[:SEARCH_LIMIT].lower()
    if wanted:
        statement = statement.where(_matches(wanted))
    if before:
        statement = statement.where(col(Order.id) < before)
    statement = statement.order_by(col(Order.id).desc()).limit(PAGE_SIZE + 1)
    with Session(engine) as session:
        rows = [OrderRow(order, name) for order, name in session.exec(statement)]
    return page_of(rows)


def _matches(wanted: str):  # type: ignore[no-untyped-def]
    pattern = "%" + escape_like(wanted) + "%"
    if "@" in wanted:
        return func.lower(col(Order.email)).like(pattern, escape="\\")
    bare = wanted.lstrip("#")
    return or_(
        func.lower(col(Order.number)).like("%" + escape_like(bare) + "%", escape="\\"),
        func.lower(col(Order.external_id)) == bare,
    )


def order_detail(engine: Engine, *, store_id: int, order_id: int) -> OrderDetail | None:
    with Session(engine) as session:
        order = session.get(Order, order_id)
        if order is None or order.store_id != store_id:
            return None
        customer = session.get(Customer, order.customer_id) if order.customer_id else None
        messages = select(OutboxMessage).where(OutboxMessage.order_id == order_id)
        return OrderDetail(
            order=order,
            customer_name=customer.name if customer else None,
            parts=order_parts(session, order_id),
            messages=list(session.exec(messages.order_by(col(OutboxMessage.id)))),
        )

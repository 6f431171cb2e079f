"""An order's line items: what the customer bought, as the newest snapshot lists them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select

from shopsync.models import Order, OrderLineItem
from shopsync.models.limits import column_limit
from shopsync.orders.children import children
from shopsync.work import UnitOfWork


@dataclass(frozen=True)
class LineItemFacts:
    name: str
    quantity: int = 1
    sku: str | None = None
    unit_amount: int | None = None


def line_items(work: UnitOfWork, order: Order) -> list[OrderLineItem]:
    assert order.id is not None
    return children(work.session, OrderLineItem, order.id)


def add_line_items(work: UnitOfWork, order: Order, items: list[LineItemFacts]) -> None:
    assert order.id is not None
    for item in items:
        work.session.add(_line_item_row(order, item))


def replace_line_items(work: UnitOfWork, order: Order, items: list[LineItemFacts]) -> None:
    """The items of the newest snapshot, rewritten only when they differ."""
    held = line_items(work, order)
    wanted = [_line_item_row(order, item) for item in items]
    if [_line_key(row) for row in held] == [_line_key(row) for row in wanted]:
        return
    for row in held:
        work.session.delete(row)
    work.session.add_all(wanted)


def fill_line_items(work: UnitOfWork, order: Order, items: list[LineItemFacts]) -> bool:
    """Items read from a payment provider, kept only while the order lists none.

    A store's own order snapshot says what was bought and always wins: it replaces these
    when it comes, and these never replace it. Whether anything was written.
    """
    if not items or line_items(work, order):
        return False
    add_line_items(work, order, items)
    return True


def _line_item_row(order: Order, item: LineItemFacts) -> OrderLineItem:
    assert order.id is not None
    return OrderLineItem(
        store_id=order.store_id,
        order_id=order.id,
        name=item.name[: column_limit(OrderLineItem, "name")],
        sku=item.sku,
        quantity=item.quantity,
        unit_amount=item.unit_amount,
    )


def _line_key(row: OrderLineItem) -> tuple[str, str | None, int, int | None]:
    return (row.name, row.sku, row.quantity, row.unit_amount)


def ordered_quantity(work: UnitOfWork, order: Order) -> int:
    """How many items the order has, as far as its line items are known (0 if not)."""
    statement = select(func.sum(OrderLineItem.quantity)).where(OrderLineItem.order_id == order.id)
    return int(work.session.exec(statement).one() or 0)

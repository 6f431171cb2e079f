""" "Find my order": the status link goes to the order's email address, never to the page.

Whoever fills in the form learns nothing: the answer is the same whether or not an order
matches, and the link is only ever emailed to the address the order was placed with.
Matching orders (in any store of the installation) each get one email per
`RESEND_WINDOW` however often the form is sent; the web layer rate-limits the form per
client and per address on top of that.

The email is written like every other (shopsync.customers.notifications): rendered
into the outbox in the same transaction, sent by the email channel. Without SMTP nothing
is written, and the answer is still the same.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.customers.notifications import write_status_link
from shopsync.models import Order
from shopsync.work import Cause, unit_of_work

TEMPLATE = "find_my_order"
RESEND_WINDOW = timedelta(minutes=10)
MAX_MATCHES = 5
NUMBER_LIMIT = 64


def request_status_link(engine: Engine, *, email: str, number: str) -> list[int]:
    """Email the status link of each order matching both; returns the outbox ids written."""
    address = email.strip().lower()
    wanted = number.strip().lstrip("#").strip()[:NUMBER_LIMIT]
    if "@" not in address or not wanted:
        return []
    posted: list[int] = []
    for order in _matching_orders(engine, address, wanted):
        posted += _post_link(engine, order, address)
    return posted


def _matching_orders(engine: Engine, address: str, wanted: str) -> list[Order]:
    statement = (
        select(Order)
        .where(
            func.lower(col(Order.email)) == address,
            or_(
                col(Order.number).in_([wanted, f"#{wanted}"]),
                col(Order.external_id) == wanted,
            ),
        )
        .order_by(col(Order.id))
        .limit(MAX_MATCHES)
    )
    with Session(engine) as session:
        return list(session.exec(statement))


def _post_link(engine: Engine, order: Order, address: str) -> list[int]:
    window = int(utcnow().timestamp() // RESEND_WINDOW.total_seconds())
    recipient = order.email or address
    with unit_of_work(engine, store_id=order.store_id, cause=Cause.customer(TEMPLATE)) as work:
        key = f"email:{TEMPLATE}:{order.id}:{window}"
        write_status_link(work, order, recipient=recipient, key=key)
    return work.posted

"""Erasing personal data on request: one customer's, or a whole store's.

Personal data in the domain tables is a customer's name and email, their provider ids
and consent, the email kept on each order and the emails written to them
(shopsync.customers.erasure). Orders stay (amounts, states and timelines are the
store's records): they lose who placed them, they are not deleted. A customer row
keeps its id, so orders and subscriptions still point somewhere, under an address that
cannot reach anyone. Stored webhook payloads are the pipeline's
(shopsync.pipeline.redaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, func, literal, or_, update
from sqlmodel import col, select

from shopsync.customers import erasure
from shopsync.models import Customer, Order
from shopsync.orders.lifecycle import Milestone
from shopsync.orders.orders import note
from shopsync.work import UnitOfWork

# RFC 2606 reserves `.invalid`: nothing is ever delivered there. The row id keeps the
# address unique within the store.
REDACTED_EMAIL_PREFIX = "redacted-"
REDACTED_EMAIL_DOMAIN = "@redacted.invalid"


@dataclass(frozen=True)
class Erased:
    customers: int
    # The store order ids of the orders that lost their customer's data.
    order_ids: list[str]


def redact_customer(work: UnitOfWork, *, email: str | None, order_ids: Sequence[str]) -> Erased:
    """The customer with this email, these orders and any order placed with the email
    (or by that customer) lose their personal data."""
    customers = _customer_ids(work, email)
    matches: list[ColumnElement[bool]] = []
    if order_ids:
        matches.append(col(Order.external_id).in_(list(order_ids)))
    if customers:
        matches.append(col(Order.customer_id).in_(customers))
    if email:
        matches.append(func.lower(Order.email) == email.strip().lower())
    orders = _forget_order_emails(work, or_(*matches)) if matches else []
    erasure.forget_emails(work, orders)
    erasure.forget_emails_to(work, [*_addresses(work, customers), email or ""])
    erased = _erase_customers(work, col(Customer.id).in_(customers)) if customers else 0
    erasure.forget_customers(work, customers)
    return Erased(customers=erased, order_ids=orders)


def redact_store(work: UnitOfWork) -> Erased:
    """Every customer and order of the store loses its personal data."""
    orders = _forget_order_emails(work, col(Order.email).is_not(None))
    erasure.forget_emails(work)
    customers = _erase_customers(work, col(Customer.store_id) == work.store_id)
    erasure.forget_customers(work)
    return Erased(customers=customers, order_ids=orders)


def record_data_request(work: UnitOfWork, *, order_ids: Sequence[str]) -> int:
    """Note on each known order that its customer asked for their data; returns how many."""
    statement = select(Order).where(
        Order.store_id == work.store_id, col(Order.external_id).in_(list(order_ids))
    )
    found = list(work.session.exec(statement))
    for order in found:
        note(work, order, Milestone.DATA_REQUESTED)
    return len(found)


def _addresses(work: UnitOfWork, customer_ids: Sequence[int]) -> list[str]:
    if not customer_ids:
        return []
    statement = select(Customer.email).where(col(Customer.id).in_(list(customer_ids)))
    return [address for address in work.session.exec(statement) if address]


def _customer_ids(work: UnitOfWork, email: str | None) -> list[int]:
    if not email:
        return []
    statement = select(Customer.id).where(
        Customer.store_id == work.store_id, Customer.email == email.strip().lower()
    )
    return [customer for customer in work.session.exec(statement) if customer is not None]


def _forget_order_emails(work: UnitOfWork, which: ColumnElement[bool]) -> list[str]:
    """Clear the email of the store's matching orders; returns their store order ids."""
    statement = (
        update(Order)
        .where(col(Order.store_id) == work.store_id, which)
        .values(email=None)
        .returning(col(Order.external_id))
        .execution_options(synchronize_session="fetch")
    )
    return sorted(work.session.execute(statement).scalars())


def _erase_customers(work: UnitOfWork, which: ColumnElement[bool]) -> int:
    placeholder = (
        literal(REDACTED_EMAIL_PREFIX, String)
        + cast(col(Customer.id), String)
        + literal(REDACTED_EMAIL_DOMAIN, String)
    )
    statement = (
        update(Customer)
        .where(col(Customer.store_id) == work.store_id, which)
        .values(name=None, email=placeholder)
        .execution_options(synchronize_session="fetch")
    )
    return int(work.session.execute(statement).rowcount)  # type: ignore[attr-defined]

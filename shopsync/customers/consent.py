"""Consent: two separate answers to "may we email this customer?".

- Transactional email (order confirmed, shipped, ...) is on for every customer unless
  the store turns it off for them (`shopsync store customer-emails STORE EMAIL --off`)
  or turns a moment off for everyone (`shopsync store notifications`). Without it, no
  order email is written, and one already written is skipped when its turn comes.
- Marketing email is off until the customer gives it. Only a provider's statement of
  what the customer chose changes it (Shopify's `buyer_accepts_marketing`, Stripe
  Checkout's `consent.promotions`, Standard Webhooks' `accepts_marketing`, a Mailchimp
  member's status as re-read from Mailchimp), and only a statement newer, by the
  provider's clock, than the one recorded.
  Marketing consent never gates order emails, and an order never implies it.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from shopsync.errors import ShopsyncError
from shopsync.models import Customer
from shopsync.models.limits import column_limit
from shopsync.work import UnitOfWork


class UnknownCustomer(ShopsyncError):
    """The store has no customer with this address."""


def record_marketing(work: UnitOfWork, customer_id: int, *, accepts: bool, source: str) -> bool:
    """Record what the customer chose, unless a newer statement is already recorded.

    Whether it was recorded (False: a newer statement stands).
    """
    table = Customer.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(
            table.c.id == customer_id,
            or_(table.c.marketing_consent_at.is_(None), table.c.marketing_consent_at < work.at),
        )
        .values(
            marketing_consent=accepts,
            marketing_consent_at=work.at,
            marketing_consent_source=source[: column_limit(Customer, "marketing_consent_source")],
        )
    )
    result = work.session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


def marketing_consent_of(work: UnitOfWork, customer_id: int) -> bool:
    """The customer's marketing consent as recorded now."""
    table = Customer.__table__  # type: ignore[attr-defined]
    query = select(table.c.marketing_consent).where(table.c.id == customer_id)
    return bool(work.session.execute(query).scalar_one_or_none())


def take_newer_marketing(into: Customer, source: Customer) -> None:
    """On a merge, the more recent of the two marketing statements wins."""
    if source.marketing_consent_at is None:
        return
    if into.marketing_consent_at is None or source.marketing_consent_at > into.marketing_consent_at:
        into.marketing_consent = source.marketing_consent
        into.marketing_consent_at = source.marketing_consent_at
        into.marketing_consent_source = source.marketing_consent_source


def may_send_order_email(customer: Customer | None) -> bool:
    """Order emails need an address and the customer's transactional consent."""
    return customer is not None and customer.transactional_email


def set_transactional(work: UnitOfWork, customer: Customer | None, *, on: bool) -> Customer:
    """The store turns a customer's order emails off (they asked) or back on."""
    if customer is None:
        raise UnknownCustomer("the store has no customer with this address")
    customer.transactional_email = on
    work.session.add(customer)
    return customer

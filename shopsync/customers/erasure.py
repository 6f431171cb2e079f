"""What erasing customers means beyond their name and address (see shopsync.privacy).

Their provider ids are dropped (a later order under the same id starts afresh), their
marketing consent is forgotten, and the emails and Mailchimp calls written about their
orders, and the emails sent to their address without an order (subscription emails,
status links), lose their content. One not sent yet is skipped: nothing goes to or about a
customer whose data was erased (a Mailchimp call about them without an order, plan tags,
is skipped when its turn comes, since their consent is gone).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, case, delete, func, true, update
from sqlmodel import col, select

from shopsync.models import Customer, CustomerIdentity, Order, OutboxKind, OutboxMessage
from shopsync.models import OutboxStatus as Status
from shopsync.outbox.rows import write_pending
from shopsync.work import UnitOfWork

ERASED = "erased on the customer's request"
# Messages that carry the customer's address and name.
PERSONAL_KINDS = (OutboxKind.EMAIL.value, OutboxKind.MAILCHIMP.value)
# Still waiting to be sent: these are skipped instead.
UNSENT = (Status.PENDING.value, Status.RETRY.value)


def forget_customers(work: UnitOfWork, customer_ids: Sequence[int] | None = None) -> None:
    """Drop these customers' provider ids and consent (None: every customer of the store)."""
    customers = select(Customer.id).where(Customer.store_id == work.store_id)
    if customer_ids is not None:
        customers = customers.where(col(Customer.id).in_(list(customer_ids)))
    work.session.execute(
        delete(CustomerIdentity).where(col(CustomerIdentity.customer_id).in_(customers))
    )
    work.session.execute(
        update(Customer)
        .where(col(Customer.id).in_(customers))
        .values(
            email_at=None,
            marketing_consent=False,
            marketing_consent_at=None,
            marketing_consent_source=None,
        )
        .execution_options(synchronize_session="fetch")
    )


def forget_emails(work: UnitOfWork, order_ids: Sequence[str] | None = None) -> None:
    """Empty the emails and Mailchimp calls about these orders (store order ids; None:
    every one of the store's, with or without an order)."""
    if order_ids is None:
        _empty(work, true())
        return
    orders = select(Order.id).where(
        Order.store_id == work.store_id, col(Order.external_id).in_(list(order_ids))
    )
    _empty(work, col(OutboxMessage.order_id).in_(orders))


def forget_emails_to(work: UnitOfWork, addresses: Sequence[str]) -> None:
    """Empty the emails sent to these addresses that no order names (subscription emails,
    status links)."""
    wanted = sorted({address.strip().lower() for address in addresses if address})
    if wanted:
        _empty(work, func.lower(OutboxMessage.target).in_(wanted))


def _empty(work: UnitOfWork, which: ColumnElement[bool]) -> None:
    unsent = col(OutboxMessage.status).in_(UNSENT)
    # Emails posted earlier in this transaction are erased too.
    work.posted.extend(write_pending(work.session))
    work.session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.store_id) == work.store_id,
            col(OutboxMessage.kind).in_(PERSONAL_KINDS),
            which,
        )
        .values(
            payload="{}",
            target="(erased)",
            summary="(erased)",
            status=case((unsent, Status.SKIPPED.value), else_=OutboxMessage.status),
            last_result=case((unsent, ERASED), else_=OutboxMessage.last_result),
            next_attempt_at=case((unsent, None), else_=OutboxMessage.next_attempt_at),
        )
        .execution_options(synchronize_session=False)
    )

"""Telling the store's systems about every change of a customer's access: signed webhooks.

When a unit of work finishes, each customer whose access answer changed (an `access`
moment, see subscriptions.answers) becomes one outbox message per subscriber that wants
the event type, keyed (subscriber, customer, version): once per change however often
the cause is replayed. Several changes in one unit of work are told as one.

    no access → access          access.granted
    access → no access          access.revoked
    access kept, answer changed access.changed (plan, features, until, grace)
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from shopsync.clock import iso
from shopsync.models import Customer, CustomerAccess, CustomerIdentity, OutboxKind
from shopsync.outbox.rows import post
from shopsync.stores.subscribers import enabled_subscribers, wants
from shopsync.subscriptions.answers import ACCESS_SUBJECT, GRANTED, REVOKED, STRIPE, told_answer
from shopsync.work import UnitOfWork, on_finish


@on_finish
def announce_access(work: UnitOfWork) -> None:
    changes: dict[int, list[str]] = {}
    for moment in work.moments:
        if moment.subject == ACCESS_SUBJECT:
            changes.setdefault(moment.subject_id, []).append(moment.name)
    if not changes:
        return
    listening = enabled_subscribers(work.session, work.store_id)
    for customer_id, names in changes.items():
        row = work.session.get(CustomerAccess, customer_id)
        event_type = event_type_of(names, row)
        if row is None or event_type is None:
            continue
        body = access_body(work, row, event_type)
        for subscriber in (s for s in listening if wants(s, event_type)):
            post(
                work,
                kind=OutboxKind.STORE_WEBHOOK,
                key=f"store_webhook:{subscriber.id}:access:{customer_id}:{row.version}",
                target=str(subscriber.id),
                summary=f"{event_type} customer {customer_id}",
                payload=body,
            )


def event_type_of(names: list[str], row: CustomerAccess | None) -> str | None:
    """One unit of work's changes of one customer, told as one event (None: back as before)."""
    if row is None:
        return None
    first = names[0].split(":", 1)[0]
    had_access = first == REVOKED or (first not in (GRANTED, REVOKED))
    if had_access != row.access:
        return "access.granted" if row.access else "access.revoked"
    return "access.changed" if row.access else None


def access_body(work: UnitOfWork, row: CustomerAccess, event_type: str) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": iso(work.at),
        "data": {
            "customer": _customer(work.session, row.customer_id),
            "access": told_answer(row).as_dict(),
            "version": row.version,
            "changed_at": iso(row.changed_at),
        },
    }


def _customer(session: Session, customer_id: int) -> dict[str, Any]:
    customer = session.get(Customer, customer_id)
    statement = select(CustomerIdentity.external_id).where(
        CustomerIdentity.customer_id == customer_id, CustomerIdentity.provider == STRIPE
    )
    return {
        "id": customer_id,
        "email": customer.email if customer else None,
        "stripe_customer": next(iter(session.exec(statement)), None),
    }

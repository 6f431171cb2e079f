"""Telling the store's systems when a customer's marketing consent changes: signed webhooks.

A change of the recorded consent (from off to on, or on to off; see customers.consent)
is a `marketing` moment; when the unit of work finishes, each becomes one outbox message
per subscriber that wants it, keyed (subscriber, customer, time of the statement): once
per change however often its cause is replayed.

    off → on    customer.subscribed
    on → off    customer.unsubscribed
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from shopsync.clock import iso
from shopsync.models import Customer, OutboxKind
from shopsync.outbox.rows import post
from shopsync.stores.subscribers import enabled_subscribers, wants
from shopsync.work import Moment, UnitOfWork, on_finish

MARKETING_SUBJECT = "marketing"
SUBSCRIBED = "customer.subscribed"
UNSUBSCRIBED = "customer.unsubscribed"
SEPARATOR = "|"


def marketing_moment(
    customer_id: int, *, accepts: bool, source: str, event: str, reason: str | None
) -> Moment:
    """The moment for a change: to which answer, who said so, their event and reason."""
    parts = (SUBSCRIBED if accepts else UNSUBSCRIBED, source, event, reason or "")
    name = SEPARATOR.join(part.replace(SEPARATOR, " ") for part in parts)
    return Moment(subject=MARKETING_SUBJECT, subject_id=customer_id, name=name)


@on_finish
def announce_marketing(work: UnitOfWork) -> None:
    changes = [m for m in work.moments if m.subject == MARKETING_SUBJECT]
    if not changes:
        return
    listening = enabled_subscribers(work.session, work.store_id)
    for moment in changes:
        event_type = moment.name.split(SEPARATOR, 1)[0]
        body = _body(work, moment)
        for subscriber in (s for s in listening if wants(s, event_type)):
            post(
                work,
                kind=OutboxKind.STORE_WEBHOOK,
                key=(
                    f"store_webhook:{subscriber.id}:marketing:{moment.subject_id}:"
                    f"{iso(work.at)}:{event_type}"
                ),
                target=str(subscriber.id),
                summary=f"{event_type} customer {moment.subject_id}",
                payload=body,
            )


def _body(work: UnitOfWork, moment: Moment) -> dict[str, Any]:
    event_type, source, event, reason = [*moment.name.split(SEPARATOR), "", "", ""][:4]
    # Read afresh: the change was written with statements the session's objects missed.
    table = Customer.__table__  # type: ignore[attr-defined]
    customer = work.session.execute(
        select(table.c.email, table.c.name).where(table.c.id == moment.subject_id)
    ).first()
    return {
        "type": event_type,
        "timestamp": iso(work.at),
        "data": {
            "customer": {
                "id": moment.subject_id,
                "email": customer.email if customer else None,
                "name": customer.name if customer else None,
            },
            "marketing_consent": event_type == SUBSCRIBED,
            "source": source or None,
            "source_event": event or None,
            "reason": reason or None,
            "changed_at": iso(work.at),
        },
    }

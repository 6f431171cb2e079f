"""Telling the store's own systems what happened to an order: signed webhooks, once each.

When a unit of work finishes, each order milestone it reached for the first time becomes
an outbox message for every subscriber of the store that wants that event type. The key
(subscriber, order, milestone) makes it once per moment however often the cause is
replayed; the body is the order as it stands when the work commits, with its version.

    created → order.created         paid → order.paid (the moment to fulfil)
    partially shipped, shipped → order.shipped      delivered → order.delivered
    partially refunded, refunded → order.refunded   canceled → order.canceled
    refund failed → order.refund_failed             restored → order.restored
    shipment canceled → order.shipment_canceled     needs attention → order.needs_attention

The reversals are moments of their own: the order went back (money did not go back
after all, a shipment no longer counts, a cancel was taken back), and a receiver that
acted on order.refunded, order.shipped or order.canceled must hear of it. Like every
milestone, each is announced once per order.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from shopsync.clock import utcnow
from shopsync.models import Order, OutboxKind, StoreSubscriber
from shopsync.models.vocabulary import Milestone
from shopsync.orders.timeline import ORDER_SUBJECT
from shopsync.orders.views import order_snapshot
from shopsync.outbox.rows import post
from shopsync.stores.subscribers import subscribers_of, wants
from shopsync.work import Moment, UnitOfWork, on_finish

EVENT_FOR_MILESTONE = {
    Milestone.CREATED: "order.created",
    Milestone.PAID: "order.paid",
    Milestone.PARTIALLY_SHIPPED: "order.shipped",
    Milestone.SHIPPED: "order.shipped",
    Milestone.DELIVERED: "order.delivered",
    Milestone.PARTIALLY_REFUNDED: "order.refunded",
    Milestone.REFUNDED: "order.refunded",
    Milestone.CANCELED: "order.canceled",
    Milestone.NEEDS_ATTENTION: "order.needs_attention",
    Milestone.REFUND_FAILED: "order.refund_failed",
    Milestone.RESTORED: "order.restored",
    Milestone.SHIPMENT_CANCELED: "order.shipment_canceled",
}
SUBSCRIBERS_CACHE = "shopsync.subscribers"


@on_finish
def announce_to_subscribers(work: UnitOfWork) -> None:
    moments = [m for m in work.moments if _announced(m)]
    if not moments:
        return
    listening = _subscribers(work.session, work.store_id)
    if not listening:
        return
    snapshots: dict[int, dict[str, Any]] = {}
    for moment in moments:
        event_type = EVENT_FOR_MILESTONE[Milestone(moment.name)]
        for subscriber in (s for s in listening if wants(s, event_type)):
            body = _body(work, moment, event_type, snapshots)
            _post(work, subscriber, moment, event_type, body)


def _announced(moment: Moment) -> bool:
    """An order milestone the store's systems hear about (not every timeline entry is one)."""
    return moment.subject == ORDER_SUBJECT and moment.name in EVENT_FOR_MILESTONE


def _subscribers(session: Session, store_id: int) -> list[StoreSubscriber]:
    """The store's subscribers, read once per transaction (most events have none)."""
    cache: dict[int, list[StoreSubscriber]] = session.info.setdefault(SUBSCRIBERS_CACHE, {})
    if store_id not in cache:
        cache[store_id] = [s for s in subscribers_of(session, store_id) if s.enabled]
    return cache[store_id]


def _body(
    work: UnitOfWork, moment: Moment, event_type: str, snapshots: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    if moment.subject_id not in snapshots:
        order = work.session.get(Order, moment.subject_id)
        assert order is not None
        snapshots[moment.subject_id] = order_snapshot(work.session, order)
    return {
        "type": event_type,
        "timestamp": (work.at or utcnow()).isoformat().replace("+00:00", "Z"),
        "data": {"milestone": moment.name, "order": snapshots[moment.subject_id]},
    }


def _post(
    work: UnitOfWork,
    subscriber: StoreSubscriber,
    moment: Moment,
    event_type: str,
    body: dict[str, Any],
) -> None:
    order = body["data"]["order"]
    post(
        work,
        kind=OutboxKind.STORE_WEBHOOK,
        key=f"store_webhook:{subscriber.id}:order:{moment.subject_id}:{moment.name}",
        target=str(subscriber.id),
        summary=f"{event_type} order {order['number'] or order['id']}",
        payload=body,
        order_id=moment.subject_id,
    )

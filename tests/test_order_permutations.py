"""Whatever order the providers deliver in, and however often, the order ends the same.

An order created in Shopify and edited before payment (a strap added), paid through
Stripe for the edited total after a declined card, fulfilled with tracking (a second,
mistaken fulfilment cancelled), delivered, and refunded in part by a refund that then
failed: seventeen webhooks from two providers, each delivered twice, in every order
hypothesis can think of, with the worker running at arbitrary points in between. The
reversals (the edit, the failed refund, the cancelled fulfilment) are decided by the
providers' own clocks, so they too end the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from handlers.shopify import samples as shopify
from handlers.stripe import samples as stripe
from shopsync.models import OrderLineItem, Shipment
from shopsync.runtime import Runtime
from tests.conftest import truncate_all
from tests.support import deliver, event_statuses, make_store, order, timeline, work_queue

ORDER_ID = "5830281953587"
INTENT = "pi_3PermutedOrder"
TRACKING = "1Z999AA10123456784"
FULFILLMENT_ID = 4903842512946
MISTAKEN_ID = 4903842512947
ITEMS = [shopify.line_item("Canvas tote", "45.00", 2, "TOTE-1", item_id=13198740791603)]
EDITED_ITEMS = [*ITEMS, shopify.line_item("Tote strap", "20.00", 1, "STRAP-1", item_id=1319874)]
TOTAL_CENTS = 12000  # 2 x 45.00 + 20.00 strap + 10.00 shipping, after the edit
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def stamp(minutes: int) -> str:
    return at(minutes).isoformat()


@dataclass(frozen=True)
class Webhook:
    provider: str
    payload: dict[str, Any]
    event_id: str
    topic: str | None = None

    def send(self, client: FlaskClient, store: Any) -> int:
        headers = {"X-Shopify-Topic": self.topic} if self.topic else {}
        response = deliver(
            client, store, self.provider, self.payload, headers=headers, message_id=self.event_id
        )
        return response.status_code


def parcel(minutes: int, shipment_status: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return shopify.fulfillment(
        ORDER_ID,
        fulfillment_id=kwargs.pop("fulfillment_id", FULFILLMENT_ID),
        items=EDITED_ITEMS,
        shipment_status=shipment_status,
        tracking_numbers=kwargs.pop("tracking_numbers", (TRACKING,)),
        updated_at=stamp(minutes),
        **kwargs,
    )


def mistaken(minutes: int, status: str = "success") -> dict[str, Any]:
    """A second fulfilment created by mistake, then cancelled."""
    return parcel(
        minutes, fulfillment_id=MISTAKEN_ID, tracking_numbers=("1Z999AA10123456785",), status=status
    )


def shop_order(minutes: int, **kwargs: Any) -> dict[str, Any]:
    items = kwargs.pop("items", EDITED_ITEMS)
    return shopify.order(
        ORDER_ID, items=items, updated_at=stamp(minutes), created_at=stamp(0), **kwargs
    )


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str, minutes: int) -> Webhook:
    created = int(at(minutes).timestamp())
    body = stripe.event(event_type, obj, livemode=True, event_id=event_id, created=created)
    return Webhook("stripe", body, event_id)


def refund(status: str) -> dict[str, Any]:
    return stripe.refund_object(
        amount=1000,
        intent_id=INTENT,
        status=status,
        refund_id="re_3PermutedRefund",
        created=int(at(60).timestamp()),
    )


def journey() -> list[Webhook]:
    """The webhooks one real order produces, each with its provider's own event id."""
    return [
        Webhook("shopify", shop_order(0, items=ITEMS), "sh-1", "orders/create"),
        # The customer adds a strap before paying: the edit signal, then the edited order.
        Webhook(
            "shopify", shopify.order_edit(ORDER_ID, committed_at=stamp(2)), "sh-2", "orders/edited"
        ),
        Webhook("shopify", shop_order(2), "sh-3", "orders/updated"),
        stripe_event(
            "checkout.session.completed",
            stripe.checkout_session(ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT),
            "evt_checkout",
            3,
        ),
        # The customer's first card was declined; the retry on the same intent succeeded.
        stripe_event(
            "payment_intent.payment_failed",
            stripe.payment_intent(
                ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT, status="requires_payment_method"
            ),
            "evt_declined",
            4,
        ),
        stripe_event(
            "payment_intent.succeeded",
            stripe.payment_intent(ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT),
            "evt_intent",
            5,
        ),
        Webhook("shopify", shop_order(6, financial_status="paid"), "sh-4", "orders/paid"),
        Webhook("shopify", parcel(10), "sh-5", "fulfillments/create"),
        Webhook("shopify", mistaken(11), "sh-6", "fulfillments/create"),
        Webhook("shopify", mistaken(12, status="cancelled"), "sh-7", "fulfillments/update"),
        Webhook(
            "shopify",
            shop_order(
                13,
                financial_status="paid",
                fulfillment_status="fulfilled",
                fulfillments=[parcel(10), mistaken(12, status="cancelled")],
            ),
            "sh-8",
            "orders/fulfilled",
        ),
        Webhook("shopify", parcel(20, "out_for_delivery"), "sh-9", "fulfillments/update"),
        Webhook("shopify", parcel(30, "delivered"), "sh-10", "fulfillments/update"),
        # A goodwill refund of 10.00 that the card network then refused.
        stripe_event("refund.created", refund("succeeded"), "evt_refund", 60),
        stripe_event(
            "charge.refunded",
            stripe.charge(amount=TOTAL_CENTS, amount_refunded=1000, intent_id=INTENT),
            "evt_charge_refunded",
            60,
        ),
        stripe_event("refund.failed", refund("failed"), "evt_refund_failed", 90),
    ]


def reset(engine: Engine, redis: Redis) -> None:
    truncate_all(engine)
    redis.flushdb()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_permutation_and_duplication_ends_delivered_with_one_timeline(
    data: st.DataObject, runtime: Runtime, client: FlaskClient
) -> None:
    reset(runtime.engine, runtime.redis)
    store = make_store(runtime, name="Permutation shop")
    deliveries = data.draw(st.permutations(journey() * 2), label="arrival order")
    work_points = data.draw(
        st.lists(st.booleans(), min_size=len(deliveries), max_size=len(deliveries)),
        label="worker runs after",
    )
    for webhook, work_now in zip(deliveries, work_points, strict=True):
        assert webhook.send(client, store) == 200
        if work_now:
            work_queue(runtime)
    work_queue(runtime)

    assert set(event_statuses(runtime)) == {"processed"}
    assert len(event_statuses(runtime)) == len(journey())
    final = order(runtime, store.id, ORDER_ID)
    assert final is not None
    assert (final.state, final.payment_status, final.fulfillment_status, final.canceled) == (
        "delivered",
        "paid",
        "delivered",
        False,
    )
    assert (final.paid_amount, final.total_amount, final.refunded_amount) == (
        TOTAL_CENTS,
        TOTAL_CENTS,
        0,
    )
    assert (final.needs_attention, final.email) == (None, shopify.DEFAULT_EMAIL)
    assert items(runtime, final.id) == [("Canvas tote", 2), ("Tote strap", 1)]
    assert parcels(runtime, final.id) == [
        ("shopify:fulfillment:4903842512946", "delivered", False),
        ("shopify:fulfillment:4903842512947", "in_transit", True),
    ]
    milestones = timeline(runtime, final.id)
    assert len(milestones) == len(set(milestones))
    assert {"created", "edited", "paid", "shipped", "delivered"} <= set(milestones)


def items(rt: Runtime, order_id: int | None) -> list[tuple[str, int]]:
    with Session(rt.engine) as session:
        statement = select(OrderLineItem).where(OrderLineItem.order_id == order_id)
        return [
            (i.name, i.quantity) for i in session.exec(statement.order_by(col(OrderLineItem.id)))
        ]


def parcels(rt: Runtime, order_id: int | None) -> list[tuple[str, str, bool]]:
    with Session(rt.engine) as session:
        statement = select(Shipment).where(Shipment.order_id == order_id)
        rows = session.exec(statement.order_by(col(Shipment.external_id)))
        return [(s.external_id, s.status, s.canceled) for s in rows]

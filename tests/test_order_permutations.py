"""Whatever order the providers deliver in, and however often, the order ends the same.

An order created in Shopify, paid through Stripe, fulfilled with tracking and delivered:
nine webhooks from two providers, each delivered twice, in every order hypothesis can
think of, with the worker running at arbitrary points in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from sqlalchemy import Engine

from handlers.shopify import samples as shopify
from handlers.stripe import samples as stripe
from shopsync.runtime import Runtime
from tests.conftest import truncate_all
from tests.support import deliver, event_statuses, make_store, order, timeline, work_queue

ORDER_ID = "5830281953587"
INTENT = "pi_3PermutedOrder"
TRACKING = "1Z999AA10123456784"
FULFILLMENT_ID = 4903842512946
ITEMS = [shopify.line_item("Canvas tote", "45.00", 2, "TOTE-1", item_id=13198740791603)]
TOTAL_CENTS = 10000  # 2 x 45.00 + 10.00 shipping


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


def parcel(shipment_status: str | None) -> dict[str, Any]:
    return shopify.fulfillment(
        ORDER_ID,
        fulfillment_id=FULFILLMENT_ID,
        items=ITEMS,
        shipment_status=shipment_status,
        tracking_numbers=(TRACKING,),
    )


def shop_order(**kwargs: Any) -> dict[str, Any]:
    return shopify.order(ORDER_ID, items=ITEMS, **kwargs)


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str) -> Webhook:
    return Webhook(
        "stripe", stripe.event(event_type, obj, livemode=True, event_id=event_id), event_id
    )


def journey() -> list[Webhook]:
    """The webhooks one real order produces, each with its provider's own event id."""
    return [
        Webhook("shopify", shop_order(), "sh-1", "orders/create"),
        stripe_event(
            "checkout.session.completed",
            stripe.checkout_session(ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT),
            "evt_checkout",
        ),
        # The customer's first card was declined; the retry on the same intent succeeded.
        stripe_event(
            "payment_intent.payment_failed",
            stripe.payment_intent(
                ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT, status="requires_payment_method"
            ),
            "evt_declined",
        ),
        stripe_event(
            "payment_intent.succeeded",
            stripe.payment_intent(ORDER_ID, amount=TOTAL_CENTS, intent_id=INTENT),
            "evt_intent",
        ),
        Webhook("shopify", shop_order(financial_status="paid"), "sh-2", "orders/paid"),
        Webhook("shopify", parcel(None), "sh-3", "fulfillments/create"),
        Webhook(
            "shopify",
            shop_order(
                financial_status="paid", fulfillment_status="fulfilled", fulfillments=[parcel(None)]
            ),
            "sh-4",
            "orders/fulfilled",
        ),
        Webhook("shopify", parcel("out_for_delivery"), "sh-5", "fulfillments/update"),
        Webhook("shopify", parcel("delivered"), "sh-6", "fulfillments/update"),
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
    assert (final.state, final.payment_status, final.fulfillment_status) == (
        "delivered",
        "paid",
        "delivered",
    )
    assert (final.paid_amount, final.total_amount, final.needs_attention) == (
        TOTAL_CENTS,
        TOTAL_CENTS,
        None,
    )
    milestones = timeline(runtime, final.id)
    assert len(milestones) == len(set(milestones))
    assert {"created", "paid", "shipped", "delivered"} <= set(milestones)

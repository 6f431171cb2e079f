"""WooCommerce orders as the store means them: edits, restores, tracking numbers removed.

Every case is a sequence of REST v3 order bodies (or the deletion's `{"id": N}`),
signed as WooCommerce signs them, delivered as sent and the other way round, each
twice. Each snapshot's own `date_modified_gmt` decides, never the arrival order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.woocommerce import samples
from shopsync.models import Order, OrderLineItem, Shipment
from shopsync.runtime import Runtime
from tests.support import (
    ARRIVALS,
    StoreFixture,
    arriving,
    deliver,
    event_statuses,
    order,
    timeline,
    work_queue,
)

ORDER = "727"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
EDITED_ITEMS = [
    samples.line_item("Woo Single #1", "3.00", 2, "woo-single-1", item_id=315),
    samples.line_item("Hoodie &amp; Cap", "45.00", 1, "HOOD-CAP", item_id=318),
]

Hook = tuple[str, dict[str, Any]]


def snapshot(status: str, minutes: int, **kwargs: Any) -> dict[str, Any]:
    """The order as of `minutes` (by default 36.00: two singles, one idea, shipping)."""
    return samples.order(
        ORDER, status=status, modified=START + timedelta(minutes=minutes), **kwargs
    )


def deliver_all(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, hooks: list[Hook]
) -> None:
    for topic, body in hooks:
        headers = {"X-WC-Webhook-Topic": topic}
        assert deliver(client, store, "woocommerce", body, headers=headers).status_code == 200
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}


def the_order(runtime: Runtime, store: StoreFixture) -> Order:
    found = order(runtime, store.id, ORDER)
    assert found is not None
    return found


def items_of(runtime: Runtime, order_id: int | None) -> list[tuple[str, int, int | None]]:
    with Session(runtime.engine) as session:
        statement = select(OrderLineItem).where(OrderLineItem.order_id == order_id)
        rows = session.exec(statement.order_by(col(OrderLineItem.id)))
        return [(row.name, row.quantity, row.unit_amount) for row in rows]


def standing_parcels(runtime: Runtime, order_id: int | None) -> list[str | None]:
    with Session(runtime.engine) as session:
        statement = select(Shipment).where(Shipment.order_id == order_id)
        return [s.tracking_number for s in session.exec(statement) if not s.canceled]


# --- edits --------------------------------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_edited_order_follows_its_newest_snapshot_and_a_payment_of_the_new_total_pays_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    edited = {"items": EDITED_ITEMS, "email": "jane.doe@example.com"}
    journey: list[Hook] = [
        ("order.created", snapshot("pending", 0)),
        ("order.updated", snapshot("pending", 5, **edited)),
        ("order.updated", snapshot("processing", 9, **edited)),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    paid = the_order(runtime, store)
    # 2 x 3.00 + 45.00 + 10.00 shipping
    assert (paid.state, paid.total_amount, paid.paid_amount) == ("paid", 6100, 6100)
    assert paid.email == "jane.doe@example.com"
    assert paid.needs_attention is None
    assert items_of(runtime, paid.id) == [("Woo Single #1", 2, 300), ("Hoodie & Cap", 1, 4500)]


# --- restores -----------------------------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_order_restored_from_the_trash_is_no_longer_canceled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    # The deletion carries no time: it counts as of its receipt, so the restore comes after.
    restored_at = int((datetime.now(UTC) - START).total_seconds() // 60) + 1
    journey: list[Hook] = [
        ("order.created", snapshot("processing", 0)),
        ("order.deleted", samples.deleted(ORDER)),
        ("order.restored", snapshot("processing", restored_at)),
    ]
    if arrival == "reversed":  # the deletion needs its order, announced first
        journey = [journey[0], journey[2], journey[1]]
    deliver_all(client, store, runtime, journey + journey)
    restored = the_order(runtime, store)
    assert (restored.canceled, restored.state) == (False, "paid")
    if arrival == "as sent":
        assert timeline(runtime, restored.id) == ["created", "paid", "canceled", "restored"]


@pytest.mark.parametrize("topic", ["order.restored", "order.updated"])
def test_a_snapshot_from_before_the_trash_never_revives_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str
) -> None:
    before = snapshot("processing", 0)
    deliver_all(
        client,
        store,
        runtime,
        [("order.created", before), ("order.deleted", samples.deleted(ORDER))],
    )
    # The same signed body, resent under any order topic, is older than the deletion.
    deliver(client, store, "woocommerce", before, headers={"X-WC-Webhook-Topic": topic})
    work_queue(runtime)
    assert the_order(runtime, store).canceled


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_cancelled_order_set_back_to_processing_is_restored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    journey: list[Hook] = [
        ("order.created", snapshot("processing", 0)),
        ("order.updated", snapshot("cancelled", 5)),
        ("order.updated", snapshot("processing", 9)),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    assert (the_order(runtime, store).canceled, the_order(runtime, store).state) == (False, "paid")


# --- Shipment Tracking numbers removed ---------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_removed_tracking_number_stops_counting(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    parcel = samples.tracking_item("9400111899223817", tracking_id="7f49c1e2a8b3")
    journey: list[Hook] = [
        ("order.updated", snapshot("processing", 5, tracking=[parcel])),
        ("order.updated", snapshot("processing", 9)),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    unshipped = the_order(runtime, store)
    assert (unshipped.state, unshipped.fulfillment_status) == ("paid", "unfulfilled")
    assert standing_parcels(runtime, unshipped.id) == []
    if arrival == "as sent":
        assert timeline(runtime, unshipped.id) == [
            "created",
            "paid",
            "shipped",
            "shipment_canceled",
        ]


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_corrected_tracking_number_replaces_the_wrong_one(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    wrong = samples.tracking_item("9400111899223817", tracking_id="7f49c1e2a8b3")
    right = samples.tracking_item("9400111899223818", tracking_id="0c8e1f5d9a27")
    journey: list[Hook] = [
        ("order.updated", snapshot("completed", 5, tracking=[wrong])),
        ("order.updated", snapshot("completed", 9, tracking=[right])),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    shipped = the_order(runtime, store)
    assert shipped.state == "shipped"
    assert standing_parcels(runtime, shipped.id) == ["9400111899223818"]

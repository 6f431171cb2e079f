"""Shopify orders as Shopify means them: cancelled fulfilments, edits, un-cancels, part payments.

Every case is a sequence of deliveries in Shopify's published shapes (REST resources,
unwrapped, except orders/edited's `{"order_edit": ...}`), signed with the shop's
secret, delivered as Shopify sent them and the other way round, each twice. The
bodies' own `updated_at` decide; arrival order never does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.shopify import samples
from handlers.stripe import samples as stripe_samples
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

ORDER = "450789469"
FULFILLMENT = 1069019879
SHOP_TIME = timezone(timedelta(hours=-5))  # Shopify stamps times in the shop's zone
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
HOODIE = samples.line_item("Hoodie", "40.00", 2, "HOOD-M", item_id=466157049)
CAP = samples.line_item("Cap", "40.00", 1, "CAP-1", item_id=703073504)

Hook = tuple[str, dict[str, Any]]


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).astimezone(SHOP_TIME).isoformat()


def snapshot(
    minutes: int, items: list[dict[str, Any]] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """The order as of `minutes` (two hoodies at 40.00 plus 10.00 shipping: 90.00)."""
    return samples.order(
        ORDER, items=items or [HOODIE], updated_at=stamp(minutes), created_at=stamp(0), **kwargs
    )


def parcel(minutes: int, **kwargs: Any) -> dict[str, Any]:
    return samples.fulfillment(
        ORDER,
        fulfillment_id=kwargs.pop("fulfillment_id", FULFILLMENT),
        items=kwargs.pop("items", [HOODIE]),
        updated_at=stamp(minutes),
        **kwargs,
    )


def scan(status: str, minutes: int, eta: str | None = None) -> Hook:
    """A carrier scan of the fulfilment, as fulfillment_events/create sends it."""
    body = samples.fulfillment_event(
        ORDER,
        fulfillment_id=FULFILLMENT,
        status=status,
        happened_at=stamp(minutes),
        estimated_delivery_at=eta,
    )
    return ("fulfillment_events/create", body)


def deliver_all(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, hooks: list[Any]
) -> None:
    for hook in hooks:
        if hook[0] == "stripe":
            response = deliver(client, store, "stripe", hook[1])
        else:
            response = deliver(
                client, store, "shopify", hook[1], headers={"X-Shopify-Topic": hook[0]}
            )
        assert response.status_code == 200
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}


def the_order(runtime: Runtime, store: StoreFixture) -> Order:
    found = order(runtime, store.id, ORDER)
    assert found is not None
    return found


def shipments(runtime: Runtime, order_id: int | None) -> list[Shipment]:
    with Session(runtime.engine) as session:
        statement = select(Shipment).where(Shipment.order_id == order_id)
        return list(session.exec(statement.order_by(col(Shipment.external_id))))


def items_of(runtime: Runtime, order_id: int | None) -> list[tuple[str, int]]:
    with Session(runtime.engine) as session:
        statement = select(OrderLineItem).where(OrderLineItem.order_id == order_id)
        return [
            (i.name, i.quantity) for i in session.exec(statement.order_by(col(OrderLineItem.id)))
        ]


# --- fulfilments that are cancelled ----------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_cancelled_fulfillment_stops_counting(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    journey: list[Hook] = [
        ("orders/paid", snapshot(0, financial_status="paid")),
        ("fulfillments/create", parcel(10)),
        ("fulfillments/update", parcel(20, status="cancelled")),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    paid = the_order(runtime, store)
    assert (paid.state, paid.fulfillment_status) == ("paid", "unfulfilled")
    [cancelled] = shipments(runtime, paid.id)
    assert cancelled.canceled
    if arrival == "as sent":
        assert timeline(runtime, paid.id) == ["created", "paid", "shipped", "shipment_canceled"]


@pytest.mark.parametrize("arrival", ARRIVALS)
@pytest.mark.parametrize("order_snapshot_follows", [True, False])
def test_a_fulfilled_order_whose_fulfillment_is_cancelled_is_unfulfilled_again(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    arrival: str,
    order_snapshot_follows: bool,
) -> None:
    journey: list[Hook] = [
        (
            "orders/fulfilled",
            snapshot(
                10,
                financial_status="paid",
                fulfillment_status="fulfilled",
                fulfillments=[parcel(10)],
            ),
        ),
        ("fulfillments/update", parcel(20, status="cancelled")),
    ]
    if order_snapshot_follows:
        # Shopify's orders/updated after the cancel: nothing fulfilled, the fulfilment cancelled.
        after = snapshot(21, financial_status="paid", fulfillments=[parcel(20, status="cancelled")])
        journey.append(("orders/updated", after))
    deliver_all(client, store, runtime, arriving(journey, arrival))
    assert the_order(runtime, store).fulfillment_status == "unfulfilled"


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_one_of_two_parcels_cancelled_leaves_the_order_partly_shipped(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    one = {**HOODIE, "quantity": 1}
    first = parcel(10, items=[one], tracking_numbers=["1ZA"])
    second = parcel(11, items=[one], fulfillment_id=FULFILLMENT + 1, tracking_numbers=["1ZB"])
    second_cancelled = {**second, "status": "cancelled", "updated_at": stamp(20)}
    journey: list[Hook] = [
        ("fulfillments/create", first),
        ("fulfillments/create", second),
        (
            "orders/fulfilled",
            snapshot(
                12,
                financial_status="paid",
                fulfillment_status="fulfilled",
                fulfillments=[first, second],
            ),
        ),
        ("fulfillments/update", second_cancelled),
        (
            "orders/updated",
            snapshot(
                21,
                financial_status="paid",
                fulfillment_status="partial",
                fulfillments=[first, second_cancelled],
            ),
        ),
    ]
    # Fulfilments need their order: it is announced first in both arrival orders.
    deliver_all(
        client, store, runtime, [("orders/create", snapshot(0)), *arriving(journey, arrival)]
    )
    partly = the_order(runtime, store)
    assert partly.fulfillment_status == "partially_shipped"
    assert [s.canceled for s in shipments(runtime, partly.id)] == [False, True]


# --- carrier scans and stale tracking details -------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_carrier_scans_move_the_parcel_and_its_estimate(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    eta_early, eta_late = stamp(60 * 24), stamp(60 * 48)
    scans: list[Hook] = [
        ("fulfillments/create", parcel(10)),
        scan("in_transit", 11, eta=eta_late),
        scan("out_for_delivery", 12, eta=eta_early),
        # Newer, of a status this API version does not know, and silent about the
        # estimate: it moves nothing and keeps the newest estimate named.
        scan("carrier_rerouted", 13),
    ]
    deliver_all(
        client,
        store,
        runtime,
        [("orders/paid", snapshot(0, financial_status="paid")), *arriving(scans, arrival)],
    )
    moving = the_order(runtime, store)
    assert moving.state == "out_for_delivery"
    [shipment] = shipments(runtime, moving.id)
    assert shipment.status == "out_for_delivery"
    assert shipment.estimated_delivery == datetime.fromisoformat(eta_early)


def test_a_scan_before_its_fulfillment_waits_for_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    topic, delivered = scan("delivered", 30)
    deliver_all(client, store, runtime, [("orders/paid", snapshot(0, financial_status="paid"))])
    deliver(client, store, "shopify", delivered, headers={"X-Shopify-Topic": topic})
    work_queue(runtime)
    assert event_statuses(runtime)[-1] == "parked"
    deliver_all(client, store, runtime, [("fulfillments/create", parcel(10))])
    assert the_order(runtime, store).state == "delivered"


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_older_fulfillment_update_does_not_overwrite_newer_tracking_details(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    journey: list[Hook] = [
        ("fulfillments/update", parcel(10, tracking_company="UPS", tracking_numbers=["1Z999AA1"])),
        ("fulfillments/update", parcel(20, tracking_company="FedEx", tracking_numbers=["7489"])),
    ]
    deliver_all(
        client,
        store,
        runtime,
        [("orders/paid", snapshot(0, financial_status="paid")), *arriving(journey, arrival)],
    )
    [shipment] = shipments(runtime, the_order(runtime, store).id)
    assert (shipment.carrier, shipment.tracking_number) == ("FedEx", "7489")
    assert shipment.tracking_url is not None and shipment.tracking_url.endswith("7489")


# --- orders edited after creation --------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_order_edited_before_payment_is_paid_by_a_payment_of_the_new_total(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    intent = stripe_samples.payment_intent(ORDER, amount=13000, intent_id="pi_3EditedOrder")
    paid_at = int((START + timedelta(minutes=6)).timestamp())
    journey: list[Any] = [
        ("orders/create", snapshot(0)),
        ("orders/edited", samples.order_edit(ORDER, committed_at=stamp(5))),
        ("orders/updated", snapshot(5, items=[HOODIE, CAP])),
        (
            "stripe",
            stripe_samples.event(
                "payment_intent.succeeded", intent, livemode=True, created=paid_at
            ),
        ),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    edited = the_order(runtime, store)
    assert (edited.state, edited.total_amount, edited.paid_amount) == ("paid", 13000, 13000)
    assert edited.needs_attention is None
    assert items_of(runtime, edited.id) == [("Hoodie", 2), ("Cap", 1)]
    assert "edited" in timeline(runtime, edited.id)


@pytest.mark.parametrize("arrival", ARRIVALS)
@pytest.mark.parametrize("balance_paid", [False, True])
def test_an_order_edited_after_payment_is_partly_paid_until_the_balance_arrives(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str, balance_paid: bool
) -> None:
    journey: list[Hook] = [
        ("orders/paid", snapshot(0, financial_status="paid")),
        ("orders/edited", samples.order_edit(ORDER, committed_at=stamp(5))),
        # A cap added: 40.00 more is outstanding.
        (
            "orders/updated",
            snapshot(5, items=[HOODIE, CAP], financial_status="partially_paid", paid="90.00"),
        ),
    ]
    if balance_paid:
        journey.append(("orders/paid", snapshot(8, items=[HOODIE, CAP], financial_status="paid")))
    deliver_all(client, store, runtime, arriving(journey, arrival))
    edited = the_order(runtime, store)
    expected = ("paid", 13000) if balance_paid else ("partially_paid", 9000)
    assert (edited.state, edited.paid_amount) == expected
    assert edited.total_amount == 13000


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_item_removed_after_payment_leaves_the_items_and_total_of_the_edit(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    refund = samples.refund(ORDER, amount="40.00", refund_id=509562969, processed_at=stamp(5))
    journey: list[Hook] = [
        ("orders/paid", snapshot(0, items=[HOODIE, CAP], financial_status="paid")),
        ("orders/edited", samples.order_edit(ORDER, committed_at=stamp(5))),
        (
            "orders/updated",
            snapshot(
                5,
                items=[HOODIE, samples.removed(CAP)],
                financial_status="partially_refunded",
                paid="130.00",
                refunds=[refund],
            ),
        ),
        ("refunds/create", refund),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    edited = the_order(runtime, store)
    assert (edited.total_amount, edited.paid_amount, edited.refunded_amount) == (9000, 13000, 4000)
    assert edited.payment_status == "partially_refunded"
    assert items_of(runtime, edited.id) == [("Hoodie", 2)]


def test_an_edit_for_an_order_not_known_yet_waits_for_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(
        client,
        store,
        "shopify",
        samples.order_edit(ORDER, committed_at=stamp(5)),
        headers={"X-Shopify-Topic": "orders/edited"},
    )
    work_queue(runtime)
    assert event_statuses(runtime) == ["parked"]
    deliver_all(client, store, runtime, [("orders/create", snapshot(0))])
    assert "edited" in timeline(runtime, the_order(runtime, store).id)


def test_an_order_body_sent_as_orders_edited_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(client, store, "shopify", snapshot(0), headers={"X-Shopify-Topic": "orders/edited"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable"]


# --- part payment -------------------------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_partially_paid_order_shows_what_has_been_paid(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    # Shopify's own example: 199.00 in total, 149.00 outstanding.
    nano = samples.line_item("IPod Nano - 8GB", "189.00", 1, "IPOD2008PINK", item_id=1071823208)
    journey: list[Hook] = [
        ("orders/create", snapshot(0, items=[nano])),
        (
            "orders/updated",
            snapshot(3, items=[nano], financial_status="partially_paid", paid="50.00"),
        ),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    partly = the_order(runtime, store)
    assert (partly.state, partly.paid_amount, partly.total_amount) == (
        "partially_paid",
        5000,
        19900,
    )
    assert "partially_paid" in timeline(runtime, partly.id)


# --- orders un-cancelled ------------------------------------------------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_order_uncancelled_through_an_edit_is_restored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    journey: list[Hook] = [
        ("orders/paid", snapshot(0, financial_status="paid")),
        ("orders/cancelled", snapshot(5, financial_status="paid", cancelled_at=stamp(5))),
        ("orders/updated", snapshot(9, financial_status="paid")),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    restored = the_order(runtime, store)
    assert (restored.canceled, restored.state) == (False, "paid")
    if arrival == "as sent":
        assert timeline(runtime, restored.id) == ["created", "paid", "canceled", "restored"]


def test_a_late_stale_cancel_never_wins(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver_all(
        client,
        store,
        runtime,
        [
            ("orders/paid", snapshot(0, financial_status="paid")),
            ("orders/updated", snapshot(9, financial_status="paid")),
        ],
    )
    # The cancel from minute 5, taken back at minute 9, delivered last.
    deliver_all(
        client,
        store,
        runtime,
        [("orders/cancelled", snapshot(5, financial_status="paid", cancelled_at=stamp(5)))],
    )
    assert the_order(runtime, store).canceled is False


# --- refunds that fail, and refunds in the customer's currency -----------------------------


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_refund_whose_transaction_failed_stops_counting(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    refund = samples.refund(ORDER, amount="30.00", refund_id=509562969, processed_at=stamp(5))
    failed = {**refund, "transactions": [{**refund["transactions"][0], "status": "failure"}]}
    journey: list[Hook] = [
        ("orders/paid", snapshot(0, financial_status="paid")),
        ("refunds/create", refund),
        ("orders/updated", snapshot(8, financial_status="paid", refunds=[failed])),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    paid = the_order(runtime, store)
    assert (paid.state, paid.refunded_amount) == ("paid", 0)


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_refund_in_the_customers_currency_is_counted_in_the_shops(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    # A USD shop; the customer paid in EUR at 0.92 EUR per USD. 20.00 USD is 18.40 EUR.
    line = samples.refund_line(466157049, shop=("20.00", "USD"), presentment=("18.40", "EUR"))
    refund = samples.refund(
        ORDER,
        amount="18.40",
        currency="EUR",
        refund_id=509562970,
        lines=[line],
        processed_at=stamp(5),
    )
    order_snapshot = snapshot(
        0, financial_status="paid", presentment_currency="EUR", exchange_rate="0.92"
    )
    journey: list[Hook] = [("orders/paid", order_snapshot), ("refunds/create", refund)]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    refunded = the_order(runtime, store)
    assert (refunded.currency, refunded.refunded_amount, refunded.state) == (
        "USD",
        2000,
        "partially_refunded",
    )


def test_a_foreign_currency_refund_without_rates_is_counted_from_the_orders_snapshot(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    refund = samples.refund(
        ORDER, amount="18.40", currency="EUR", refund_id=509562971, processed_at=stamp(5)
    )
    order_snapshot = snapshot(
        0, financial_status="paid", presentment_currency="EUR", exchange_rate="0.92"
    )
    deliver_all(client, store, runtime, [("orders/paid", order_snapshot)])
    deliver(client, store, "shopify", refund, headers={"X-Shopify-Topic": "refunds/create"})
    work_queue(runtime)
    assert event_statuses(runtime)[-1] == "ignored"  # not unprocessable: nothing is wrong with it
    listed = snapshot(
        6,
        financial_status="partially_refunded",
        presentment_currency="EUR",
        exchange_rate="0.92",
        refunds=[refund],
    )
    deliver_all_statuses = deliver(
        client, store, "shopify", listed, headers={"X-Shopify-Topic": "orders/updated"}
    )
    assert deliver_all_statuses.status_code == 200
    work_queue(runtime)
    assert the_order(runtime, store).refunded_amount == 2000

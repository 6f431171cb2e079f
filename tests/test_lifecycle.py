"""The order's dimensions are recomputed from records merged by the providers' own clocks."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsync.models import Order, Refund, Shipment
from shopsync.models.vocabulary import RefundStatus, ShipmentStatus
from shopsync.orders.lifecycle import (
    Fulfillment,
    Payment,
    derive_state,
    fulfillment_stage,
    payment_stage,
    supersedes,
)
from shopsync.orders.refunds import refunded_by_source

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def new_order(**fields: Any) -> Order:
    return Order(store_id=1, external_id="1", public_token="t", **fields)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({}, "awaiting_payment"),
        ({"payment_status": "paid"}, "paid"),
        ({"payment_status": "paid", "fulfillment_status": "shipped"}, "shipped"),
        ({"payment_status": "partially_refunded", "fulfillment_status": "delivered"}, "delivered"),
        ({"payment_status": "partially_refunded"}, "partially_refunded"),
        ({"payment_status": "refunded", "fulfillment_status": "delivered"}, "refunded"),
        ({"payment_status": "paid", "canceled": True}, "canceled"),
        ({"payment_status": "refunded", "canceled": True}, "canceled"),
        ({"payment_status": "payment_processing"}, "payment_processing"),
    ],
)
def test_state_is_derived_from_the_dimensions(fields: dict[str, Any], state: str) -> None:
    assert derive_state(new_order(**fields)) == state


@pytest.mark.parametrize(
    ("fields", "stage"),
    [
        ({}, Payment.AWAITING),
        ({"payment_attempt": "payment_processing"}, Payment.PROCESSING),
        ({"payment_attempt": "payment_failed"}, Payment.FAILED),
        ({"payment_attempt": "paid", "paid_amount": 5000, "total_amount": 5000}, Payment.PAID),
        # An edit raised the total after the payment: part of it is paid.
        (
            {"payment_attempt": "paid", "paid_amount": 5000, "total_amount": 6000},
            Payment.PARTIALLY_PAID,
        ),
        ({"payment_attempt": "paid", "paid_amount": 0, "total_amount": 0}, Payment.PAID),
        (
            {"payment_attempt": "paid", "paid_amount": 5000, "refunded_amount": 1000},
            Payment.PARTIALLY_REFUNDED,
        ),
        # An edit lowered the total and the difference went back: what is left is paid for.
        (
            {
                "payment_attempt": "paid",
                "paid_amount": 5000,
                "total_amount": 4000,
                "refunded_amount": 4000,
            },
            Payment.REFUNDED,
        ),
    ],
)
def test_payment_stage_comes_from_refunds_then_money_received_then_the_attempt(
    fields: dict[str, Any], stage: Payment
) -> None:
    assert payment_stage(new_order(**fields)) == stage


def parcel(status: ShipmentStatus = ShipmentStatus.IN_TRANSIT, **fields: Any) -> Shipment:
    return Shipment(store_id=1, order_id=1, external_id="p", status=status, **fields)


@pytest.mark.parametrize(
    ("claim", "parcels", "stage"),
    [
        (None, [], Fulfillment.UNFULFILLED),
        (Fulfillment.SHIPPED, [], Fulfillment.SHIPPED),
        (None, [parcel(partial=True)], Fulfillment.PARTIALLY_SHIPPED),
        (Fulfillment.SHIPPED, [parcel(partial=True)], Fulfillment.SHIPPED),
        (
            None,
            [parcel(ShipmentStatus.DELIVERED), parcel(ShipmentStatus.OUT_FOR_DELIVERY)],
            Fulfillment.OUT_FOR_DELIVERY,
        ),
        # A cancelled parcel and a return count for nothing.
        (None, [parcel(canceled=True)], Fulfillment.UNFULFILLED),
        (None, [parcel(ShipmentStatus.DELIVERED, is_return=True)], Fulfillment.UNFULFILLED),
        (None, [parcel(ShipmentStatus.DELIVERED), parcel(canceled=True)], Fulfillment.DELIVERED),
        (Fulfillment.PARTIALLY_SHIPPED, [parcel(canceled=True)], Fulfillment.PARTIALLY_SHIPPED),
    ],
)
def test_fulfillment_stage_comes_from_the_parcels_that_stand_and_the_claim(
    claim: Fulfillment | None, parcels: list[Shipment], stage: Fulfillment
) -> None:
    assert fulfillment_stage(claim, parcels) == stage


Statement = tuple[datetime, int]


def fold(statements: list[Statement]) -> Statement | None:
    """What a record holds after merging the statements in this order."""

    def merge(held: Statement | None, new: Statement) -> Statement:
        if held is None or supersedes(new[0], new[1], held[0], held[1]):
            return new
        return held

    return functools.reduce(merge, statements, None)


statements = st.lists(
    st.tuples(st.integers(0, 5).map(at), st.integers(0, 3)), min_size=1, max_size=8
)


@given(statements=statements, data=st.data())
def test_merging_by_the_providers_clock_ends_the_same_in_any_arrival_order(
    statements: list[Statement], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(statements))
    assert fold(arrival) == fold(statements) == max(statements)


def refund(
    external_id: str,
    amount: int,
    status: RefundStatus = RefundStatus.SUCCEEDED,
    *,
    made: int = 0,
    as_of: int = 0,
    cumulative: bool = False,
) -> Refund:
    return Refund(
        store_id=1,
        order_id=1,
        external_id=external_id,
        amount=amount,
        status=status,
        cumulative=cumulative,
        source_created_at=at(made),
        source_updated_at=at(as_of),
    )


@pytest.mark.parametrize(
    ("rows", "refunded"),
    [
        ([refund("stripe:refund:re_1", 1500), refund("stripe:refund:re_2", 500)], 2000),
        (
            [
                refund("stripe:refund:re_1", 1500, RefundStatus.FAILED, as_of=10),
                refund("stripe:refund:re_2", 500),
            ],
            500,
        ),
        # Stripe's running total as of minute 5 counted re_1, which failed at minute 10.
        (
            [
                refund("stripe:charge:ch_1", 1500, as_of=5, cumulative=True),
                refund("stripe:refund:re_1", 1500, RefundStatus.FAILED, made=1, as_of=10),
            ],
            0,
        ),
        # A running total stated after the failure already leaves it out.
        (
            [
                refund("stripe:charge:ch_1", 500, as_of=20, cumulative=True),
                refund("stripe:refund:re_1", 1500, RefundStatus.FAILED, made=1, as_of=10),
            ],
            500,
        ),
        # The store's refund and the Stripe refund behind it are the same money.
        (
            [refund("woocommerce:refund:7", 1500), refund("stripe:refund:re_1", 1500)],
            1500,
        ),
    ],
)
def test_refunded_amount_is_what_stands_per_source_and_the_largest_source(
    rows: list[Refund], refunded: int
) -> None:
    assert refunded_by_source(rows) == refunded

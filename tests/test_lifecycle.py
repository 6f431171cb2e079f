"""Each dimension of an order only moves forward, and `state` is derived from them."""

from __future__ import annotations

import itertools

import pytest

from shopsync.models import Order
from shopsync.orders.lifecycle import (
    FULFILLMENT_ORDER,
    PAYMENT_ORDER,
    Fulfillment,
    Payment,
    advance_fulfillment,
    advance_payment,
    derive_state,
)


def new_order(**fields: object) -> Order:
    return Order(store_id=1, external_id="1", public_token="t", **fields)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Payment, Payment)))
def test_payment_moves_only_forward(current: Payment, target: Payment) -> None:
    order = new_order(payment_status=current.value)
    moved = advance_payment(order, target)
    forward = PAYMENT_ORDER.index(target) > PAYMENT_ORDER.index(current)
    assert moved is forward
    assert order.payment_status == (target if forward else current).value


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Fulfillment, Fulfillment)))
def test_fulfillment_moves_only_forward(current: Fulfillment, target: Fulfillment) -> None:
    order = new_order(fulfillment_status=current.value)
    moved = advance_fulfillment(order, target)
    forward = FULFILLMENT_ORDER.index(target) > FULFILLMENT_ORDER.index(current)
    assert moved is forward
    assert order.fulfillment_status == (target if forward else current).value


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
    ],
)
def test_state_is_derived_from_the_dimensions(fields: dict[str, object], state: str) -> None:
    assert derive_state(new_order(**fields)) == state

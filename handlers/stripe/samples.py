"""Realistic Stripe event bodies, shaped like Stripe's own examples (simulate, tests, bench)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

API_VERSION = "2025-09-30.clover"


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    livemode: bool = False,
    created: int | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": "req_" + secrets.token_hex(7), "idempotency_key": None},
        "type": event_type,
    }


def payment_intent(
    order_id: str,
    *,
    amount: int,
    currency: str = "usd",
    status: str = "succeeded",
    intent_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": intent_id or "pi_" + secrets.token_hex(12),
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "status": status,
        "metadata": {"order_id": order_id},
        "latest_charge": "ch_" + secrets.token_hex(12),
        "customer": None,
    }


def checkout_session(
    order_id: str,
    *,
    amount: int,
    currency: str = "usd",
    payment_status: str = "paid",
    intent_id: str | None = None,
    email: str = "jenny.rosen@example.com",
) -> dict[str, Any]:
    return {
        "id": "cs_test_" + secrets.token_hex(16),
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "client_reference_id": order_id,
        "currency": currency,
        "customer_details": {"email": email, "name": "Jenny Rosen"},
        "metadata": {},
        "mode": "payment",
        "payment_intent": intent_id or "pi_" + secrets.token_hex(12),
        "payment_status": payment_status,
        "status": "complete",
    }


def charge(
    *,
    amount: int,
    amount_refunded: int = 0,
    currency: str = "usd",
    intent_id: str,
    order_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": "ch_" + secrets.token_hex(12),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "currency": currency,
        "metadata": {"order_id": order_id} if order_id else {},
        "paid": True,
        "payment_intent": intent_id,
        "refunded": amount_refunded >= amount,
    }


def dispute(
    *, amount: int, intent_id: str, status: str = "needs_response", currency: str = "usd"
) -> dict[str, Any]:
    return {
        "id": "dp_" + secrets.token_hex(12),
        "object": "dispute",
        "amount": amount,
        "charge": "ch_" + secrets.token_hex(12),
        "currency": currency,
        "payment_intent": intent_id,
        "reason": "fraudulent",
        "status": status,
        "metadata": {},
    }


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate stripe <event type>` about `order_id`."""
    amount = 4200
    intent_id = f"pi_sim_{order_id}"
    objects: dict[str, dict[str, Any]] = {
        "payment_intent.succeeded": payment_intent(order_id, amount=amount, intent_id=intent_id),
        "payment_intent.payment_failed": payment_intent(
            order_id, amount=amount, status="requires_payment_method", intent_id=intent_id
        ),
        "checkout.session.completed": checkout_session(
            order_id, amount=amount, intent_id=intent_id
        ),
        "charge.refunded": charge(amount=amount, amount_refunded=amount, intent_id=intent_id),
        "charge.dispute.created": dispute(amount=amount, intent_id=intent_id),
    }
    if event_type not in objects:
        raise KeyError(f"no sample for {event_type}; try one of {', '.join(objects)}")
    return json.dumps(event(event_type, objects[event_type])).encode()

"""Realistic Stripe event bodies, shaped like Stripe's own examples (simulate, tests, bench)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

API_VERSION = "2025-09-30.clover"
DAY = 24 * 3600


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    livemode: bool = False,
    created: int | None = None,
    event_id: str | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    return {
        "id": event_id or "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": data,
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
    method: str = "card",
) -> dict[str, Any]:
    return {
        "id": intent_id or "pi_" + secrets.token_hex(12),
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "payment_method_types": [method],
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
    charge_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": charge_id or "ch_" + secrets.token_hex(12),
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


# Why a refund fails (Refund.failure_reason), for refunds whose status is failed.
FAILURE_REASON = "expired_or_canceled_card"


def refund_object(
    *,
    amount: int,
    intent_id: str,
    status: str = "succeeded",
    refund_id: str | None = None,
    order_id: str | None = None,
    created: int | None = None,
    currency: str = "usd",
    charge_id: str | None = None,
) -> dict[str, Any]:
    """A Refund as refund.* and charge.refund.updated events carry it."""
    failed = status == "failed"
    return {
        "id": refund_id or "re_" + secrets.token_hex(12),
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_" + secrets.token_hex(12),
        "charge": charge_id or "ch_" + secrets.token_hex(12),
        "created": created or int(time.time()),
        "currency": currency,
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": {"order_id": order_id} if order_id else {},
        "payment_intent": intent_id,
        "reason": "requested_by_customer",
        "receipt_number": None,
        "status": status,
        "failure_reason": FAILURE_REASON if failed else None,
        "failure_balance_transaction": "txn_" + secrets.token_hex(12) if failed else None,
    }


def invoice(
    *,
    amount: int,
    status: str = "paid",
    subscription_id: str,
    customer: str | None = None,
    email: str = "jenny.rosen@example.com",
    invoice_id: str | None = None,
    created: int | None = None,
    billing_reason: str = "subscription_cycle",
    period: tuple[int, int] | None = None,
    legacy: bool = False,
) -> dict[str, Any]:
    """An invoice of a current API version (its subscription under `parent`), or of an
    older one (`legacy`: a top-level `subscription`, as older endpoints and localstripe send).
    """
    invoice_id = invoice_id or "in_" + secrets.token_hex(12)
    created = created or int(time.time())
    start, end = period or (created, created + 30 * DAY)
    line = {
        "id": "il_" + secrets.token_hex(8),
        "object": "line_item",
        "amount": amount,
        "currency": "usd",
        "period": {"start": start, "end": end},
        "quantity": 1,
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {"subscription": subscription_id, "proration": False},
        },
    }
    body: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount if status == "paid" else 0,
        "amount_remaining": 0 if status == "paid" else amount,
        "attempt_count": 1,
        "billing_reason": billing_reason,
        "created": created,
        "currency": "usd",
        "customer": customer or "cus_" + secrets.token_hex(7),
        "customer_email": email,
        "customer_name": "Jenny Rosen",
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_sim/test_{invoice_id}",
        "lines": {"object": "list", "data": [line], "has_more": False},
        "number": "SIM-" + invoice_id[-4:].upper(),
        "status": status,
        "status_transitions": {
            "finalized_at": created,
            "paid_at": created if status == "paid" else None,
        },
    }
    if legacy:
        body["subscription"] = subscription_id
    else:
        body["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id, "metadata": {}},
        }
    return body


def subscription(
    *,
    status: str = "active",
    subscription_id: str,
    customer: str | None = None,
    period: tuple[int, int] | None = None,
    lookup_key: str | None = "pro_monthly",
    cancel_at_period_end: bool = False,
    cancel_at: int | None = None,
    trial_end: int | None = None,
    pause_collection: dict[str, Any] | None = None,
    latest_invoice: str | None = None,
    start_date: int | None = None,
    legacy: bool = False,
) -> dict[str, Any]:
    """A subscription of a current API version (periods on the items, a price with a
    lookup key), or of an older one (`legacy`: top-level periods, a `plan`)."""
    now = int(time.time())
    start, end = period or (now, now + 30 * DAY)
    price = {
        "id": "price_sim_pro",
        "object": "price",
        "lookup_key": lookup_key,
        "product": "prod_sim_pro",
        "recurring": {"interval": "month", "interval_count": 1},
        "unit_amount": 2000,
    }
    item: dict[str, Any] = {
        "id": "si_" + secrets.token_hex(7),
        "object": "subscription_item",
        "quantity": 1,
    }
    body: dict[str, Any] = {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer or "cus_" + secrets.token_hex(7),
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": cancel_at,
        "canceled_at": now if status == "canceled" else None,
        "ended_at": now if status == "canceled" else None,
        "created": start_date or start,
        "start_date": start_date or start,
        "trial_end": trial_end,
        "pause_collection": pause_collection,
        "latest_invoice": latest_invoice,
        "items": {"object": "list", "data": [item], "has_more": False},
        "metadata": {},
    }
    if legacy:
        item["plan"] = {"id": "pro-plan", "object": "plan", "product": "prod_sim_pro"}
        body.update(current_period_start=start, current_period_end=end)
    else:
        item.update(price=price, current_period_start=start, current_period_end=end)
    return body


def entitlement_summary(customer: str, lookup_keys: list[str]) -> dict[str, Any]:
    return {
        "object": "entitlements.active_entitlement_summary",
        "customer": customer,
        "entitlements": {
            "object": "list",
            "data": [
                {
                    "id": "ent_test_" + secrets.token_hex(8),
                    "object": "entitlements.active_entitlement",
                    "feature": "feat_test_" + secrets.token_hex(8),
                    "livemode": False,
                    "lookup_key": key,
                }
                for key in lookup_keys
            ],
            "has_more": False,
            "url": f"/v1/customer/{customer}/entitlements",
        },
        "livemode": False,
    }


def sample_objects(order_id: str) -> dict[str, dict[str, Any]]:
    """One `data.object` per event type shopsync accepts, about `order_id`."""
    amount = 4200
    intent_id = f"pi_sim_{order_id}"
    sub_id = f"sub_sim_{order_id}"
    # One customer per simulated order, so its subscription events find each other.
    customer = f"cus_sim_{order_id}"
    session = checkout_session(order_id, amount=amount, intent_id=intent_id)
    intent = payment_intent(order_id, amount=amount, intent_id=intent_id)
    return {
        "checkout.session.completed": session,
        "checkout.session.async_payment_succeeded": session,
        "checkout.session.async_payment_failed": {**session, "payment_status": "unpaid"},
        "checkout.session.expired": {**session, "payment_status": "unpaid", "status": "expired"},
        "payment_intent.succeeded": intent,
        "payment_intent.processing": payment_intent(
            order_id, amount=amount, status="processing", intent_id=intent_id, method="sepa_debit"
        ),
        "payment_intent.payment_failed": payment_intent(
            order_id, amount=amount, status="requires_payment_method", intent_id=intent_id
        ),
        "payment_intent.canceled": payment_intent(
            order_id, amount=amount, status="canceled", intent_id=intent_id
        ),
        "charge.refunded": charge(amount=amount, amount_refunded=amount, intent_id=intent_id),
        "refund.created": refund_object(amount=amount, intent_id=intent_id),
        "refund.updated": refund_object(amount=amount, intent_id=intent_id),
        "refund.failed": refund_object(amount=amount, intent_id=intent_id, status="failed"),
        "charge.refund.updated": refund_object(amount=amount, intent_id=intent_id, status="failed"),
        "charge.dispute.created": dispute(amount=amount, intent_id=intent_id),
        "charge.dispute.closed": dispute(amount=amount, intent_id=intent_id, status="won"),
        "invoice.paid": invoice(amount=amount, subscription_id=sub_id, customer=customer),
        "invoice.payment_succeeded": invoice(
            amount=amount, subscription_id=sub_id, customer=customer
        ),
        "invoice.payment_failed": invoice(
            amount=amount, status="open", subscription_id=sub_id, customer=customer
        ),
        "invoice.payment_action_required": invoice(
            amount=amount, status="open", subscription_id=sub_id, customer=customer
        ),
        **{
            f"customer.subscription.{change}": subscription(
                status=status, subscription_id=sub_id, customer=customer
            )
            for change, status in SUBSCRIPTION_SAMPLES.items()
        },
        "entitlements.active_entitlement_summary.updated": entitlement_summary(
            customer, ["pro_monthly"]
        ),
    }


SUBSCRIPTION_SAMPLES = {
    "created": "active",
    "updated": "active",
    "deleted": "canceled",
    "trial_will_end": "trialing",
    "paused": "paused",
    "resumed": "active",
}


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate stripe <event type>` about `order_id`."""
    objects = sample_objects(order_id)
    if event_type not in objects:
        raise KeyError(f"no sample for {event_type}; try one of {', '.join(sorted(objects))}")
    return json.dumps(event(event_type, objects[event_type])).encode()

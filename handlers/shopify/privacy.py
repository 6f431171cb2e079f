"""Shopify's mandatory privacy topics: erase a customer's or a shop's data; note requests.

Every Shopify app must handle them. They are signed like any delivery and name their
shop in the signed body, which must be the shop the endpoint is pinned to (checked at
receipt, handlers.shopify.shops). Each body must have exactly its topic's shape
(handlers.shopify.kinds), so no other signed body can trigger an erasure.

    customers/redact        the customer's name and email, the email on their orders
                            (those listed, and any placed with that email), and the
                            stored payloads mentioning those orders or that email
    shop/redact             48 hours after the app is uninstalled: every customer, every
                            order's email and every stored payload of the store
    customers/data_request  kept in the inbox, noted on the customer's known orders and
                            logged, for the owner to answer from Shopify within 30 days
"""

from __future__ import annotations

import logging
from typing import Any

from handlers.readers import ID_LIMIT, text
from handlers.shopify.kinds import CUSTOMER_REDACTION, DATA_REQUEST, SHOP_REDACTION
from handlers.shopify.provider import NAME
from shopsync import privacy
from shopsync.models import Customer
from shopsync.models.limits import column_limit
from shopsync.pipeline import redaction
from shopsync.pipeline.registry import EventContext, registry

log = logging.getLogger(__name__)


@registry.on(NAME, *CUSTOMER_REDACTION.topics)
def erase_customer_data(ctx: EventContext) -> None:
    CUSTOMER_REDACTION.require(ctx.payload, ctx.event.event_type)
    email = _customer_email(ctx.payload)
    listed = _order_ids(ctx.payload.get("orders_to_redact"))
    erased = privacy.redact_customer(ctx.work, email=email, order_ids=listed)
    order_ids = sorted(set(listed) | set(erased.order_ids))
    payloads = redaction.redact_mentions(
        ctx.work.session, ctx.work.store_id, order_ids=order_ids, email=email
    )
    log.info(
        "store %s: customer data erased at Shopify's request (%d orders, %d payloads)",
        ctx.work.store_id,
        len(erased.order_ids),
        payloads,
    )


@registry.on(NAME, *SHOP_REDACTION.topics)
def erase_shop_data(ctx: EventContext) -> None:
    SHOP_REDACTION.require(ctx.payload, ctx.event.event_type)
    erased = privacy.redact_store(ctx.work)
    payloads = redaction.redact_store(ctx.work.session, ctx.work.store_id)
    log.warning(
        "store %s: all personal data erased at Shopify's request after uninstall "
        "(%d customers, %d orders, %d payloads)",
        ctx.work.store_id,
        erased.customers,
        len(erased.order_ids),
        payloads,
    )


@registry.on(NAME, *DATA_REQUEST.topics)
def record_data_request(ctx: EventContext) -> None:
    DATA_REQUEST.require(ctx.payload, ctx.event.event_type)
    order_ids = _order_ids(ctx.payload.get("orders_requested"))
    noted = privacy.record_data_request(ctx.work, order_ids=order_ids)
    # No personal data in the log: the request itself is inbox event `ctx.event.id`.
    log.warning(
        "store %s: a customer asked Shopify for their data (inbox event %s, %d of %d "
        "orders known here); answer it from the Shopify admin within 30 days",
        ctx.work.store_id,
        ctx.event.id,
        noted,
        len(order_ids),
    )


def _customer_email(payload: dict[str, Any]) -> str | None:
    customer = payload.get("customer")
    email = customer.get("email") if isinstance(customer, dict) else None
    return text(email, column_limit(Customer, "email"))


def _order_ids(value: object) -> list[str]:
    items = value if isinstance(value, list) else []
    return [
        str(item)[:ID_LIMIT]
        for item in items
        if isinstance(item, int | str) and not isinstance(item, bool) and str(item).strip()
    ]

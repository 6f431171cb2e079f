"""Refunds: each counted once by its Shopify id, for the money its transactions moved.

A Shopify refund can move no money at all (a restock, a note); only its `refund`
transactions count: successful ones are money going back, and a refund whose
transactions all failed is a refund that failed. The same refund also appears in the
order's `refunds` list on every order snapshot, under the same key, so it is never
counted twice; there its status is as of the snapshot's `updated_at`, so a refund that
failed after it was first reported stops counting once a newer snapshot says so.
Transactions in the customer's currency are converted to the shop's (see currencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from handlers.readers import currency_of, event_time, id_of, money, objects
from handlers.shopify.currencies import convert, rate_of, refund_money_sets, shop_money
from handlers.shopify.kinds import REFUND
from handlers.shopify.provider import NAME
from shopsync.errors import Ignored
from shopsync.models import Order
from shopsync.models.vocabulary import RefundStatus
from shopsync.orders import orders, refunds
from shopsync.orders.refunds import RefundFacts
from shopsync.pipeline.registry import EventContext, registry

FAILED_TRANSACTIONS = frozenset({"failure", "error"})


@dataclass(frozen=True)
class Snapshot:
    """The order snapshot a refund is listed in: its time, and its exchange rate."""

    as_of: datetime | None
    rate: Decimal | None = None


@registry.on(NAME, *REFUND.topics)
def record_refund(ctx: EventContext) -> None:
    refund = ctx.payload
    REFUND.require(refund, ctx.event.event_type)
    order = orders.find_order(ctx.work, id_of(refund, "order_id"))
    if not apply_refund(ctx, order, refund):
        raise Ignored(
            "refund moved no money the shop's currency can show (a refund in another "
            "currency without its exchange rate is counted from the order's next snapshot)"
        )


def apply_refund(
    ctx: EventContext, order: Order, refund: dict[str, Any], snapshot: Snapshot | None = None
) -> bool:
    """Record the refund's money and status; returns whether it moved (or failed to move) any."""
    found = refund_outcome(refund, shop_currency=order.currency, snapshot=snapshot)
    if found is None:
        return False
    amount, status = found
    made = event_time(refund.get("processed_at")) or event_time(refund.get("created_at"))
    facts = RefundFacts(
        refund_id=f"{NAME}:refund:{id_of(refund)}",
        amount=amount,
        status=status,
        created_at=made,
        as_of=snapshot.as_of if snapshot else made,
    )
    refunds.record_refund(ctx.work, order, facts)
    return True


def refund_outcome(
    refund: dict[str, Any], *, shop_currency: str | None, snapshot: Snapshot | None
) -> tuple[int, RefundStatus] | None:
    """(amount, status): what succeeded, else what failed; None when no money moved."""
    succeeded = failed = 0
    for transaction in objects(refund.get("transactions")):
        if transaction.get("kind") != "refund":
            continue
        amount = _shop_amount(transaction, refund, shop_currency, snapshot)
        if amount is None:
            return None
        if transaction.get("status") == "success":
            succeeded += amount
        elif transaction.get("status") in FAILED_TRANSACTIONS:
            failed += amount
    if succeeded:
        return succeeded, RefundStatus.SUCCEEDED
    return (failed, RefundStatus.FAILED) if failed else None


def _shop_amount(
    transaction: dict[str, Any],
    refund: dict[str, Any],
    shop_currency: str | None,
    snapshot: Snapshot | None,
) -> int | None:
    currency = currency_of(transaction, shop_currency)
    if shop_currency is None or currency == shop_currency:
        return money(transaction.get("amount"), currency, "refund amount")
    direct = shop_money(transaction.get("amount_set"), shop_currency)
    if direct is not None:
        return abs(direct)
    rate = rate_of(refund_money_sets(refund), currency, shop_currency) or (
        snapshot.rate if snapshot else None
    )
    if rate is None:
        return None
    return convert(transaction.get("amount"), currency, rate, shop_currency)

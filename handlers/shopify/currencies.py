"""Refunds in a multi-currency shop: transactions in the customer's currency, orders in the shop's.

Shopify refunds in the presentment currency (what the customer paid in), so a refund
transaction's `amount` and `currency` may not be the order's (the shop's) currency.
Every money set in the same body (`{"shop_money": ..., "presentment_money": ...}` on
refund lines, shipping lines and adjustments; `total_price_set` on an order) shows the
order's exchange rate, so the transaction is converted with that rate, rounded to the
shop currency's minor unit. A transaction that carries its own `amount_set` needs no
conversion.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any

from handlers.readers import money, objects
from shopsync.errors import Unprocessable
from shopsync.money import minor_unit_exponent

SET_SOURCES = (
    ("refund_line_items", ("subtotal_set", "total_tax_set")),
    ("refund_shipping_lines", ("subtotal_amount_set",)),
    ("order_adjustments", ("amount_set",)),
)


def shop_money(money_set: object, shop_currency: str) -> int | None:
    """The shop-currency amount of a money set, in minor units (None if it has none)."""
    pair = _pair(money_set)
    if pair is None or pair[0][1] != shop_currency:
        return None
    return money(str(pair[0][0]), shop_currency, "shop_money amount", signed=True)


def rate_of(money_sets: list[object], presentment: str, shop: str) -> Decimal | None:
    """Shop units per presentment unit, from the first set that shows both (None if none)."""
    for money_set in money_sets:
        pair = _pair(money_set)
        if pair is None:
            continue
        (shop_amount, shop_code), (shown_amount, shown_code) = pair
        if (shop_code, shown_code) == (shop, presentment) and shown_amount != 0:
            return shop_amount / shown_amount
    return None


def refund_money_sets(refund: dict[str, Any]) -> list[object]:
    """Every money set a refund body carries."""
    found: list[object] = []
    for list_name, set_names in SET_SOURCES:
        for line in objects(refund.get(list_name)):
            found.extend(line.get(name) for name in set_names)
    return found


def convert(value: object, presentment: str, rate: Decimal, shop_currency: str) -> int:
    """A presentment-currency amount (as the body gives it) in shop minor units, half up."""
    presented = money(value, presentment, "refund amount")
    amount = Decimal(presented).scaleb(-minor_unit_exponent(presentment))
    step = Decimal(1).scaleb(-minor_unit_exponent(shop_currency))
    try:
        converted = (amount * rate).quantize(step, rounding=ROUND_HALF_UP)
    except DecimalException:
        raise Unprocessable("refund amount: no amount at this exchange rate") from None
    return money(str(converted), shop_currency, "converted refund amount")


def _pair(money_set: object) -> tuple[tuple[Decimal, str], tuple[Decimal, str]] | None:
    """((shop amount, code), (presentment amount, code)) of a money set, if readable."""
    if not isinstance(money_set, dict):
        return None
    sides = [_side(money_set.get(name)) for name in ("shop_money", "presentment_money")]
    if sides[0] is None or sides[1] is None:
        return None
    return sides[0], sides[1]


def _side(value: object) -> tuple[Decimal, str] | None:
    if not isinstance(value, dict):
        return None
    # Shopify spells it `currency_code`, except in `total_unsettled_set` (`currency`).
    code = value.get("currency_code") or value.get("currency")
    amount = value.get("amount")
    if not isinstance(code, str) or not isinstance(amount, str | int | float):
        return None
    try:
        parsed = Decimal(str(amount))
    except DecimalException:
        return None
    return (parsed, code.upper()) if parsed.is_finite() else None

"""Money as integers in minor units, counted the way Stripe counts them.

Store platforms send decimal strings ("199.00"); payment providers send integer minor
units. Both must end up on the same scale for an order's total and its payment to
compare exactly: two decimals by default, none for zero-decimal currencies (JPY, KRW,
...), three for BHD, JOD, KWD, OMR and TND. The lists are Stripe's, since Stripe
payments are matched against these totals.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException

ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Amount columns are 32-bit integers: anything larger could never be stored.
MAX_MINOR_UNITS = 2**31 - 1


class InvalidAmount(ValueError):
    """The value is not an amount the currency can express in whole minor units."""


def minor_unit_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(value: str | int | float, currency: str) -> int:
    """`"199.00"` USD is 19900, `"1990"` JPY is 1990; fractions of a minor unit are refused."""
    if isinstance(value, bool):
        raise InvalidAmount("not an amount")
    try:
        scaled = Decimal(str(value).strip()).scaleb(minor_unit_exponent(currency))
        whole = scaled.is_finite() and scaled == scaled.to_integral_value()
    except DecimalException:
        raise InvalidAmount("not a decimal number") from None
    if not whole:
        raise InvalidAmount(f"not a whole number of {currency.upper()} minor units")
    # Compared as a Decimal first: int() of "1e999999" would build a huge integer.
    if abs(scaled) > MAX_MINOR_UNITS:
        raise InvalidAmount("amount too large")
    return int(scaled)


# Currencies customers read with a symbol; others are written as "12.50 CHF".
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def format_amount(minor_units: int, currency: str) -> str:
    """`4200` USD is "$42.00", `1990` JPY is "¥1,990", `1250` CHF is "12.50 CHF"."""
    code = currency.upper()
    exponent = minor_unit_exponent(code)
    amount = f"{Decimal(minor_units).scaleb(-exponent):,.{exponent}f}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code}"

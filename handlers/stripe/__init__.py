"""Stripe: payments, refunds, disputes, subscriptions, entitlements (verified with the SDK)."""

from handlers.stripe import (  # noqa: F401 - registers handlers
    disputes,
    entitlements,
    invoices,
    payments,
    refunds,
    subscriptions,
)
from handlers.stripe.provider import PROVIDER

__all__ = ["PROVIDER"]

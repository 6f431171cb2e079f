"""Stripe: payments, refunds and disputes (signature checked with the `stripe` SDK)."""

from handlers.stripe import disputes, payments, refunds  # noqa: F401 - registers handlers
from handlers.stripe.provider import PROVIDER

__all__ = ["PROVIDER"]

"""Shopify: orders, payments, refunds and fulfillments (HMAC of the raw body)."""

from handlers.shopify import fulfillments, orders, refunds  # noqa: F401 - registers handlers
from handlers.shopify.provider import PROVIDER

__all__ = ["PROVIDER"]

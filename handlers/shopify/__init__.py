"""Shopify: orders, payments, refunds, fulfillments and privacy requests (HMAC of the body)."""

from handlers.shopify import fulfillments, orders, privacy, refunds  # noqa: F401 - registers handlers
from handlers.shopify.provider import PROVIDER

__all__ = ["PROVIDER"]

"""Shopify: orders, payments, refunds, fulfillments and privacy requests (HMAC of the body)."""

from handlers.shopify import (  # noqa: F401 - registers handlers
    fulfillments,
    orders,
    privacy,
    refunds,
    scans,
)
from handlers.shopify.provider import PROVIDER

__all__ = ["PROVIDER"]

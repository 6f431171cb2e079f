"""WooCommerce: order status changes, refunds and deletions (HMAC of the raw body)."""

from handlers.woocommerce import orders  # noqa: F401 - registers handlers
from handlers.woocommerce.provider import PROVIDER

__all__ = ["PROVIDER"]

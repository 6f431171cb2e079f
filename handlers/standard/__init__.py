"""Standard Webhooks: order and shipment events from custom stores and carriers.

The body format is ours, published as `handlers/schemas/standard-webhooks.schema.json`
and documented in `docs/standard-webhooks.md`.
"""

from handlers.standard import orders, shipments  # noqa: F401 - registers handlers
from handlers.standard.provider import PROVIDER

__all__ = ["PROVIDER"]

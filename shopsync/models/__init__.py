"""Tables. Every row belongs to a store; import from here, not from the submodules."""

from shopsync.models.inbox import EventStatus, WebhookEvent
from shopsync.models.notifications import Notification
from shopsync.models.orders import (
    Customer,
    Order,
    OrderLineItem,
    Refund,
    Shipment,
    TimelineEntry,
)
from shopsync.models.stores import Store, WebhookEndpoint
from shopsync.models.subscriptions import Subscription

__all__ = [
    "Customer",
    "EventStatus",
    "Notification",
    "Order",
    "OrderLineItem",
    "Refund",
    "Shipment",
    "Store",
    "Subscription",
    "TimelineEntry",
    "WebhookEndpoint",
    "WebhookEvent",
]

"""Tables. Every row belongs to a store; import from here, not from the submodules."""

from shopsync.models.admin import AdminUser, AdminUserStore
from shopsync.models.inbox import EventStatus, WebhookEvent
from shopsync.models.orders import (
    Customer,
    Order,
    OrderLineItem,
    Refund,
    Shipment,
    TimelineEntry,
)
from shopsync.models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from shopsync.models.stores import Store, WebhookEndpoint
from shopsync.models.subscribers import StoreSubscriber
from shopsync.models.subscriptions import Subscription

__all__ = [
    "AdminUser",
    "AdminUserStore",
    "Customer",
    "EventStatus",
    "Order",
    "OrderLineItem",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "Refund",
    "Shipment",
    "Store",
    "StoreSubscriber",
    "Subscription",
    "TimelineEntry",
    "WebhookEndpoint",
    "WebhookEvent",
]

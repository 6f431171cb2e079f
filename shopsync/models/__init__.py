"""Tables. Every row belongs to a store; import from here, not from the submodules."""

from shopsync.models.admin import AdminUser, AdminUserStore
from shopsync.models.connections import (
    LineItemFetch,
    MailchimpConnection,
    PlatformConnection,
    StripeConnection,
)
from shopsync.models.customers import Customer, CustomerIdentity
from shopsync.models.inbox import EventStatus, WebhookEvent
from shopsync.models.orders import (
    Order,
    OrderLineItem,
    Refund,
    Shipment,
    TimelineEntry,
)
from shopsync.models.outbox import OutboxKind, OutboxMessage, OutboxStatus
from shopsync.models.store_settings import StoreSettings
from shopsync.models.stores import Store, WebhookEndpoint
from shopsync.models.subscribers import StoreSubscriber
from shopsync.models.subscriptions import CustomerAccess, Subscription

__all__ = [
    "AdminUser",
    "AdminUserStore",
    "Customer",
    "CustomerAccess",
    "CustomerIdentity",
    "EventStatus",
    "LineItemFetch",
    "MailchimpConnection",
    "Order",
    "OrderLineItem",
    "OutboxKind",
    "OutboxMessage",
    "OutboxStatus",
    "PlatformConnection",
    "Refund",
    "Shipment",
    "Store",
    "StoreSettings",
    "StoreSubscriber",
    "StripeConnection",
    "Subscription",
    "TimelineEntry",
    "WebhookEndpoint",
    "WebhookEvent",
]

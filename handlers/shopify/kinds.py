"""What a Shopify topic may carry: each topic names a kind of resource, and only routes.

The topic header is not signed, so a captured body can be resent under any topic. A
topic therefore decides only which reader looks at the body; the reader first checks
that the body really is a resource of its kind (an order, a fulfillment, a refund, a
privacy request) and what happens then is what the signed body says. The kind is also
the dedupe family: the same snapshot resent under another topic of its kind, or under
a new event id, is the same event.

Shapes (Shopify REST resources, unwrapped): an order has `financial_status` and no
`order_id`; a fulfillment has `order_id` and a `status`; a fulfillment event (a
carrier scan) has those and its `fulfillment_id`; a refund has `order_id` and
`transactions` or `refund_line_items` but no `status`; privacy requests carry the shop
in the body (`shop_domain`), and `shop/redact` carries nothing else. One topic wraps
its resource: orders/edited sends `{"order_edit": {...}}` (ids and quantity changes
only, no totals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shopsync.errors import Unprocessable

Body = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """A kind of resource: the topics that deliver it, and how to recognise and key it."""

    family: str
    topics: tuple[str, ...]
    matches: Callable[[Body], bool]
    # The resource's own id and time fields (its time is the event's time).
    resource_id: Callable[[Body], object]
    time_fields: tuple[str, ...] = ()
    # The key the resource is wrapped in, if the body wraps it.
    wrapper: str | None = None

    def resource(self, payload: Body) -> Body:
        """The resource itself: the body, or what the body wraps ({} if not a dict)."""
        if self.wrapper is None:
            return payload
        inner = payload.get(self.wrapper)
        return inner if isinstance(inner, dict) else {}

    def require(self, payload: Body, topic: str) -> None:
        """Refuse a body that is not of this kind, whatever the topic claimed."""
        if not self.matches(payload):
            raise Unprocessable(
                f"{topic[:60]} body is not a Shopify {self.family.replace('_', ' ')}"
            )


def _has(body: Body, name: str, kind: type | tuple[type, ...]) -> bool:
    return isinstance(body.get(name), kind) and not isinstance(body.get(name), bool)


def _is_order(body: Body) -> bool:
    return _has(body, "id", (int, str)) and "financial_status" in body and "order_id" not in body


def _is_fulfillment(body: Body) -> bool:
    return (
        _has(body, "order_id", (int, str))
        and _has(body, "status", str)
        and not {"financial_status", "transactions", "refund_line_items", "fulfillment_id"}
        & body.keys()
    )


def _is_fulfillment_event(body: Body) -> bool:
    return (
        _has(body, "order_id", (int, str))
        and _has(body, "fulfillment_id", (int, str))
        and _has(body, "status", str)
        and not {"financial_status", "transactions", "tracking_numbers"} & body.keys()
    )


def _is_order_edit(body: Body) -> bool:
    edit = body.get("order_edit")
    return (
        body.keys() == {"order_edit"}
        and isinstance(edit, dict)
        and _has(edit, "order_id", (int, str))
    )


def _is_refund(body: Body) -> bool:
    money_moved = _has(body, "transactions", list) or _has(body, "refund_line_items", list)
    return (
        _has(body, "order_id", (int, str))
        and money_moved
        and not {"status", "financial_status"} & body.keys()
    )


def _is_customer_redaction(body: Body) -> bool:
    return (
        _has(body, "shop_domain", str)
        and _has(body, "customer", dict)
        and _has(body, "orders_to_redact", list)
        and not {"data_request", "orders_requested"} & body.keys()
    )


def _is_data_request(body: Body) -> bool:
    return (
        _has(body, "shop_domain", str)
        and _has(body, "customer", dict)
        and _has(body, "data_request", dict)
        and "orders_to_redact" not in body
    )


def _is_shop_redaction(body: Body) -> bool:
    # Erasing a whole store's data: only the exact documented shape counts.
    return _has(body, "shop_domain", str) and body.keys() <= {"shop_id", "shop_domain"}


def _nested_id(name: str) -> Callable[[Body], object]:
    def read(body: Body) -> object:
        inner = body.get(name)
        return inner.get("id") if isinstance(inner, dict) else None

    return read


ORDER = Kind(
    family="order",
    topics=(
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
    ),
    matches=_is_order,
    resource_id=lambda body: body.get("id"),
    time_fields=("updated_at", "processed_at", "created_at"),
)
FULFILLMENT = Kind(
    family="fulfillment",
    topics=("fulfillments/create", "fulfillments/update"),
    matches=_is_fulfillment,
    resource_id=lambda body: body.get("id"),
    time_fields=("updated_at", "created_at"),
)
FULFILLMENT_EVENT = Kind(
    family="fulfillment_event",
    topics=("fulfillment_events/create",),
    matches=_is_fulfillment_event,
    resource_id=lambda body: body.get("id"),
    time_fields=("happened_at", "updated_at", "created_at"),
)
ORDER_EDIT = Kind(
    family="order_edit",
    topics=("orders/edited",),
    matches=_is_order_edit,
    resource_id=lambda edit: edit.get("id"),
    # `committed_at` since API 2024-07; before it, `created_at` was the edit's start.
    time_fields=("committed_at", "created_at"),
    wrapper="order_edit",
)
REFUND = Kind(
    family="refund",
    topics=("refunds/create",),
    matches=_is_refund,
    resource_id=lambda body: body.get("id"),
    time_fields=("processed_at", "created_at"),
)
CUSTOMER_REDACTION = Kind(
    family="customer_redaction",
    topics=("customers/redact",),
    matches=_is_customer_redaction,
    resource_id=_nested_id("customer"),
)
DATA_REQUEST = Kind(
    family="data_request",
    topics=("customers/data_request",),
    matches=_is_data_request,
    resource_id=_nested_id("data_request"),
)
SHOP_REDACTION = Kind(
    family="shop_redaction",
    topics=("shop/redact",),
    matches=_is_shop_redaction,
    resource_id=lambda body: body.get("shop_id"),
)

KINDS = (
    ORDER,
    ORDER_EDIT,
    FULFILLMENT,
    FULFILLMENT_EVENT,
    REFUND,
    CUSTOMER_REDACTION,
    DATA_REQUEST,
    SHOP_REDACTION,
)
PRIVACY_KINDS = (CUSTOMER_REDACTION, DATA_REQUEST, SHOP_REDACTION)
KIND_OF_TOPIC = {topic: kind for kind in KINDS for topic in kind.topics}
EVENT_TYPES = frozenset(KIND_OF_TOPIC)

"""Writing an order email: sender, recipient, subject, and text and HTML parts.

An email is rendered when it is written to the outbox, in the transaction that changed
the order, so the outbox holds the exact message that is sent, retried, or printed by
`shopsync outbox show`. Templates are in shopsync/templates/email/ (Jinja; the HTML is
autoescaped, one column with inline styles, readable on a phone). Every value that
lands in an attribute is checked again here: colours must be hex, links http(s).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from shopsync.customers.email_settings import brand_colour
from shopsync.customers.moments import MOMENT_FOR_MILESTONE
from shopsync.models import Order, OrderLineItem, Shipment, StoreSettings
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import Milestone, Payment
from shopsync.money import format_amount
from shopsync.urls import safe_web_url


@dataclass(frozen=True)
class EmailContext:
    """What writing emails needs from the deployment: where links point, the default sender."""

    public_url: str
    default_from: str

    def status_url(self, order: Order) -> str:
        """The order's status page, whose URL shape is fixed: PUBLIC_URL/orders/<token>."""
        return f"{self.public_url.rstrip('/')}/orders/{order.public_token}"


@dataclass(frozen=True)
class OrderLetter:
    """Everything one order email says."""

    store_name: str
    settings: StoreSettings
    order: Order
    milestone: Milestone
    recipient: str
    customer_name: str | None = None
    line_items: list[OrderLineItem] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)


SUBJECTS = {
    Milestone.PAID: "Order {label} confirmed",
    Milestone.PAYMENT_FAILED: "Payment for order {label} did not go through",
    Milestone.PARTIALLY_SHIPPED: "Part of your order {label} has shipped",
    Milestone.SHIPPED: "Your order {label} has shipped",
    Milestone.OUT_FOR_DELIVERY: "Your order {label} is out for delivery",
    Milestone.DELIVERED: "Your order {label} was delivered",
    Milestone.PARTIALLY_REFUNDED: "A refund for order {label}",
    Milestone.REFUNDED: "Order {label} refunded",
    Milestone.CANCELED: "Order {label} canceled",
}
HEADLINES = {
    Milestone.PAID: "Thanks, your order is confirmed",
    Milestone.PAYMENT_FAILED: "Your payment did not go through",
    Milestone.PARTIALLY_SHIPPED: "Part of your order has shipped",
    Milestone.SHIPPED: "Your order has shipped",
    Milestone.OUT_FOR_DELIVERY: "Out for delivery today",
    Milestone.DELIVERED: "Delivered",
    Milestone.PARTIALLY_REFUNDED: "We sent you a refund",
    Milestone.REFUNDED: "Your order was refunded",
    Milestone.CANCELED: "Your order was canceled",
}


def compose(
    context: EmailContext, letter: OrderLetter, *, key: str, at: datetime
) -> dict[str, str]:
    """The email as the outbox stores it: headers and both parts, ready to send."""
    values = _template_values(context, letter)
    template = MOMENT_FOR_MILESTONE[letter.milestone].value
    sender = _sender(context, letter)
    return {
        "milestone": letter.milestone.value,
        "from": str(sender),
        "to": letter.recipient,
        "reply_to": letter.settings.reply_to or "",
        "subject": values["subject"],
        "date": format_datetime(at),
        "message_id": message_id(context, key, sender.domain),
        "text": _environment().get_template(f"{template}.txt").render(values),
        "html": _environment().get_template(f"{template}.html").render(values),
    }


@dataclass(frozen=True)
class StatusLinkLetter:
    """The link to an order's status page, sent because its customer asked for it."""

    store_name: str
    settings: StoreSettings
    order: Order
    recipient: str


def compose_status_link(
    context: EmailContext, letter: StatusLinkLetter, *, key: str, at: datetime
) -> dict[str, str]:
    """The "find my order" email, stored like every other: headers and both parts."""
    label = order_label(letter.order)
    sender = _sender_for(context, letter.settings, letter.store_name)
    values: dict[str, Any] = {
        "subject": f"Your link to order {label}",
        "headline": "Follow your order",
        "customer_name": None,
        "store": _store_values(letter.store_name, letter.settings),
        "order": {
            "label": label,
            "status_url": context.status_url(letter.order),
            "lines": [],
            "total": None,
        },
    }
    return {
        "from": str(sender),
        "to": letter.recipient,
        "reply_to": letter.settings.reply_to or "",
        "subject": str(values["subject"]),
        "date": format_datetime(at),
        "message_id": message_id(context, key, sender.domain),
        "text": _environment().get_template("status_link.txt").render(values),
        "html": _environment().get_template("status_link.html").render(values),
    }


def message_id(context: EmailContext, key: str, domain: str) -> str:
    """Derived from the outbox key (and the deployment), so every retry carries the same one."""
    digest = hashlib.sha256(f"{context.public_url}|{key}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain or 'shopsync.invalid'}>"


def order_label(order: Order) -> str:
    return order.number or f"#{order.external_id}"


def _sender(context: EmailContext, letter: OrderLetter) -> Address:
    return _sender_for(context, letter.settings, letter.store_name)


def _sender_for(context: EmailContext, settings: StoreSettings, store_name: str) -> Address:
    address = settings.email_from or context.default_from
    name = settings.email_from_name or store_name
    return Address(display_name=name, addr_spec=address)


def _store_values(store_name: str, settings: StoreSettings) -> dict[str, Any]:
    colour = brand_colour(settings)
    return {
        "name": store_name,
        "colour": colour,
        "text_colour": _text_on(colour),
        "link_colour": colour if _text_on(colour) == "#ffffff" else "#1d4ed8",
        "logo_url": _web_url(settings.logo_url),
    }


def _template_values(context: EmailContext, letter: OrderLetter) -> dict[str, Any]:
    order, label = letter.order, order_label(letter.order)
    return {
        "subject": SUBJECTS[letter.milestone].format(label=label),
        "headline": HEADLINES[letter.milestone],
        "customer_name": letter.customer_name,
        "store": _store_values(letter.store_name, letter.settings),
        "order": {
            "label": label,
            "status_url": context.status_url(order),
            "total": _money(order.total_amount, order.currency),
            "lines": [_item(item, order.currency) for item in letter.line_items],
        },
        "shipments": [_parcel(shipment) for shipment in letter.shipments],
        "partial": letter.milestone is Milestone.PARTIALLY_SHIPPED,
        "refund": {
            "amount": _money(order.refunded_amount, order.currency) or "",
            "full": order.payment_status == Payment.REFUNDED,
        },
        "payment_url": _web_url(order.payment_url),
    }


def _item(item: OrderLineItem, currency: str | None) -> dict[str, Any]:
    each = _money(item.unit_amount, currency)
    line = _money(item.unit_amount * item.quantity, currency) if item.unit_amount else None
    return {"name": item.name, "quantity": item.quantity, "amount": line or each}


def _parcel(shipment: Shipment) -> dict[str, str | None]:
    return {
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "tracking_url": _web_url(shipment.tracking_url),
    }


def _money(amount: int | None, currency: str | None) -> str | None:
    return format_amount(amount, currency) if amount is not None and currency else None


def _web_url(value: str | None) -> str | None:
    return safe_web_url(value, column_limit(Shipment, "tracking_url"))


def _text_on(colour: str) -> str:
    """White on dark brand colours, near-black on light ones (WCAG relative luminance)."""
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    return "#ffffff" if luminance < 0.4 else "#111827"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("shopsync", "templates/email"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )

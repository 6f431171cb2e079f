"""What a customer may see of an order, found by the token in its status page URL.

Nothing here names the customer, their email or their address: the link can be
forwarded, and whoever holds it sees the order, not the person. The `live_tag` changes
whenever anything shown changes, so the page's poll costs one indexed query when
nothing did (answered 304).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from shopsync.models import Order, Shipment, Store, TimelineEntry
from shopsync.models.vocabulary import Fulfillment, Milestone
from shopsync.orders.parts import OrderParts, order_parts
from shopsync.status_page import words
from shopsync.status_page.links import safe_link

# Tokens are `secrets.token_urlsafe(24)`; anything else is not looked up at all.
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
# Bump when the page shows something new, so open pages fetch it once.
PAGE_REVISION = "1"
SETTLED = frozenset({Fulfillment.DELIVERED, Milestone.CANCELED})


@dataclass(frozen=True)
class Branding:
    store_name: str
    # Validated: a #rgb / #rrggbb colour and an https logo, or None.
    colour: str | None = None
    logo_url: str | None = None

    @property
    def text_on_colour(self) -> str:
        """Black or white, whichever reads better on the brand colour (WCAG contrast)."""
        if self.colour is None:
            return "#ffffff"
        white = 1.05 / (_luminance(self.colour) + 0.05)
        black = (_luminance(self.colour) + 0.05) / 0.05
        return "#ffffff" if white >= black else "#111111"


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@dataclass(frozen=True)
class Item:
    name: str
    quantity: int
    unit_amount: int | None


@dataclass(frozen=True)
class Parcel:
    words: str
    carrier: str | None
    tracking_number: str | None
    # Only links that pass `safe_link`; None means show the number without a link.
    tracking_link: str | None
    estimated_delivery: date | None
    delivered: bool


@dataclass(frozen=True)
class Moment:
    words: str
    at: datetime


@dataclass(frozen=True)
class PublicOrder:
    branding: Branding
    number: str
    state: str
    headline: str
    sentence: str
    # How many of words.STEPS are reached; 0 for a canceled order (no steps shown).
    steps_reached: int
    payment_words: str
    currency: str | None
    total_amount: int | None
    paid_amount: int
    refunded_amount: int
    items: list[Item]
    parcels: list[Parcel]
    estimated_delivery: date | None
    # Newest first.
    timeline: list[Moment]
    # Changes whenever anything above does (see `live_tag`).
    tag: str

    @property
    def steps(self) -> tuple[str, ...]:
        return words.STEPS

    @property
    def settled(self) -> bool:
        """Nothing is likely to change soon: the page polls far less often."""
        return self.state in SETTLED


def looks_like_token(token: str) -> bool:
    return TOKEN.fullmatch(token) is not None


def public_order(engine: Engine, token: str) -> PublicOrder | None:
    if not looks_like_token(token):
        return None
    with Session(engine) as session:
        # The tag first: read before what it describes, it is never newer than the page,
        # so a change made meanwhile shows on the next poll instead of being skipped.
        tag = _tag(session, token)
        found = session.exec(
            select(Order, Store)
            .join(Store, col(Store.id) == col(Order.store_id))
            .where(Order.public_token == token)
        ).first()
        if tag is None or found is None:
            return None
        order, store = found
        assert order.id is not None
        parts = order_parts(session, order.id)
    return _public(order, store, parts, tag)


def _public(order: Order, store: Store, parts: OrderParts, tag: str) -> PublicOrder:
    # Called-off parcels and the customer's returns are not on their way to the customer.
    parcels = [_parcel(s) for s in parts.shipments if not (s.canceled or s.is_return)]
    return PublicOrder(
        branding=branding(store),
        number=order.number or order.external_id,
        state=order.state,
        headline=words.HEADLINES.get(order.state, "Order received"),
        sentence=words.SENTENCES.get(order.state, ""),
        steps_reached=0
        if order.canceled
        else words.steps_reached(order.payment_status, order.fulfillment_status),
        payment_words=words.PAYMENT_WORDS.get(order.payment_status, ""),
        currency=order.currency,
        total_amount=order.total_amount,
        paid_amount=order.paid_amount,
        refunded_amount=order.refunded_amount,
        items=[Item(i.name, i.quantity, i.unit_amount) for i in parts.line_items],
        parcels=parcels,
        estimated_delivery=_estimated_delivery(order, parcels),
        timeline=[
            Moment(words.MILESTONE_WORDS[e.milestone], e.occurred_at)
            for e in reversed(parts.timeline)
            if e.milestone in words.MILESTONE_WORDS
        ],
        tag=tag,
    )


def branding(store: Store) -> Branding:
    """The store's name, and its colour and logo once the store has them."""
    colour = getattr(store, "brand_colour", None)
    logo = getattr(store, "logo_url", None)
    return Branding(
        store_name=store.name,
        colour=colour if isinstance(colour, str) and COLOUR.fullmatch(colour) else None,
        logo_url=safe_link(logo, schemes=("https",)) if isinstance(logo, str) else None,
    )


def _parcel(shipment: Shipment) -> Parcel:
    return Parcel(
        words=words.parcel_words(shipment.status),
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_link=safe_link(shipment.tracking_url),
        estimated_delivery=(
            shipment.estimated_delivery.date() if shipment.estimated_delivery else None
        ),
        delivered=shipment.status == "delivered",
    )


def _estimated_delivery(order: Order, parcels: list[Parcel]) -> date | None:
    """When the last parcel still under way is due, if the carriers said."""
    if order.canceled:
        return None
    dates = [p.estimated_delivery for p in parcels if p.estimated_delivery and not p.delivered]
    return max(dates) if dates else None


def live_tag(engine: Engine, token: str) -> str | None:
    """A tag that changes whenever anything the page shows changes; None: no such order."""
    if not looks_like_token(token):
        return None
    with Session(engine) as session:
        return _tag(session, token)


def _tag(session: Session, token: str) -> str | None:
    # Not only the order's version: a carrier's update to one parcel of a partly shipped
    # order, or a timeline note, may leave it as it was.
    parcels = (
        select(func.max(Shipment.updated_at))
        .where(col(Shipment.order_id) == col(Order.id))
        .scalar_subquery()
    )
    entries = (
        select(func.count()).where(col(TimelineEntry.order_id) == col(Order.id)).scalar_subquery()
    )
    statement = (
        select(Order.version, parcels, entries, Store.name)
        .join(Store, col(Store.id) == col(Order.store_id))
        .where(Order.public_token == token)
    )
    row = session.exec(statement).first()
    if row is None:
        return None
    material = "|".join(map(str, (PAGE_REVISION, *row)))
    return hashlib.sha256(material.encode()).hexdigest()[:20]

"""Which order moments become emails, and which later moment makes a waiting one pointless.

Each first-time order milestone below is one email, keyed (order, milestone), so
duplicates, replays and any arrival order write it at most once. Stores turn emails on
and off by the names in the middle column.

    milestone            email (store setting name)
    paid                 confirmed
    payment_failed       payment_failed
    partially_shipped    shipped          (part of the order)
    shipped              shipped
    out_for_delivery     out_for_delivery
    delivered            delivered
    partially_refunded   refunded         (part of the amount)
    refunded             refunded
    canceled             canceled

Supersede rule: an email still waiting to be sent is skipped when an email for a later
moment of the same progress has been written for the order, so an order that jumps
from paid to delivered gets "delivered", not three emails in a burst. Refunds and
cancellations are never superseded by shipping news.
"""

from __future__ import annotations

from enum import StrEnum

from shopsync.models.vocabulary import Milestone


class EmailMoment(StrEnum):
    CONFIRMED = "confirmed"
    PAYMENT_FAILED = "payment_failed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    REFUNDED = "refunded"
    CANCELED = "canceled"


MOMENT_FOR_MILESTONE = {
    Milestone.PAID: EmailMoment.CONFIRMED,
    Milestone.PAYMENT_FAILED: EmailMoment.PAYMENT_FAILED,
    Milestone.PARTIALLY_SHIPPED: EmailMoment.SHIPPED,
    Milestone.SHIPPED: EmailMoment.SHIPPED,
    Milestone.OUT_FOR_DELIVERY: EmailMoment.OUT_FOR_DELIVERY,
    Milestone.DELIVERED: EmailMoment.DELIVERED,
    Milestone.PARTIALLY_REFUNDED: EmailMoment.REFUNDED,
    Milestone.REFUNDED: EmailMoment.REFUNDED,
    Milestone.CANCELED: EmailMoment.CANCELED,
}

_SHIPPING_ON = frozenset(
    {
        Milestone.PARTIALLY_SHIPPED,
        Milestone.SHIPPED,
        Milestone.OUT_FOR_DELIVERY,
        Milestone.DELIVERED,
    }
)
# A waiting email for the key milestone is skipped once one for any of these is written.
SUPERSEDED_BY: dict[Milestone, frozenset[Milestone]] = {
    Milestone.PAYMENT_FAILED: _SHIPPING_ON
    | {Milestone.PAID, Milestone.REFUNDED, Milestone.CANCELED},
    Milestone.PAID: _SHIPPING_ON | {Milestone.REFUNDED, Milestone.CANCELED},
    Milestone.PARTIALLY_SHIPPED: _SHIPPING_ON - {Milestone.PARTIALLY_SHIPPED},
    Milestone.SHIPPED: frozenset({Milestone.OUT_FOR_DELIVERY, Milestone.DELIVERED}),
    Milestone.OUT_FOR_DELIVERY: frozenset({Milestone.DELIVERED}),
    Milestone.PARTIALLY_REFUNDED: frozenset({Milestone.REFUNDED}),
}


def email_key(order_id: int, milestone: str) -> str:
    """The outbox key of an order's email for a milestone: once per (order, moment)."""
    return f"email:order:{order_id}:{milestone}"


def is_moment_key(key: str) -> bool:
    return key.startswith("email:order:")


def milestone_of_key(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def superseding(milestone: str, written: set[str]) -> str | None:
    """The written milestone that makes this one's email pointless, if any (latest first)."""
    later = SUPERSEDED_BY.get(Milestone(milestone), frozenset())
    for candidate in reversed(list(Milestone)):
        if candidate in later and candidate.value in written:
            return candidate.value
    return None

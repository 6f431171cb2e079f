"""What one Mailchimp outbox message asks for: its operation, keys and stored parameters.

Each message is one idempotent operation, named by `op` in its JSON payload, keyed so a
replayed or duplicated cause never writes it twice:

    op            key                                   what the channel does
    member        mailchimp:member:<customer>           PUT the audience member, status_if_new
    order         mailchimp:order:<order>               the e-commerce customer, products, order
    order_status  mailchimp:order:<order>:<milestone>   PATCH the order's financial_status
    event         mailchimp:event:<order>:<name>        POST a member event (order_paid, ...)
    tags          mailchimp:tags:<customer>:<version>   POST the member's plan tags

The payload holds what Mailchimp is told (addresses, amounts, names), never a key or a
secret: the channel reads the store's account when it sends. The audience and the
e-commerce store are the account's at send time, so a reconnected account gets what
is still owed.
"""

from __future__ import annotations

from enum import StrEnum

KEY_PREFIX = "mailchimp:"
# Mailchimp's statuses for a new member: `pending` sends its confirmation email first.
SUBSCRIBED, PENDING = "subscribed", "pending"


class Op(StrEnum):
    MEMBER = "member"
    ORDER = "order"
    ORDER_STATUS = "order_status"
    EVENT = "event"
    TAGS = "tags"


def member_key(customer_id: int) -> str:
    """Once per customer: a later purchase never asks again (nor re-subscribes)."""
    return f"{KEY_PREFIX}member:{customer_id}"


def order_key(order_id: int) -> str:
    return f"{KEY_PREFIX}order:{order_id}"


def order_status_key(order_id: int, milestone: str) -> str:
    return f"{KEY_PREFIX}order:{order_id}:{milestone}"


def event_key(order_id: int, name: str) -> str:
    return f"{KEY_PREFIX}event:{order_id}:{name}"


def tags_key(customer_id: int, version: int) -> str:
    """Once per access change (its version) of the customer."""
    return f"{tags_key_prefix(customer_id)}{version}"


def tags_key_prefix(customer_id: int) -> str:
    return f"{KEY_PREFIX}tags:{customer_id}:"


def status_if_new(double_opt_in: bool) -> str:
    return PENDING if double_opt_in else SUBSCRIBED

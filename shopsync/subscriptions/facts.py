"""What a provider says about a subscription or an invoice; None means "not said"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shopsync.models.vocabulary import InvoiceOutcome, SubscriptionStatus


@dataclass(frozen=True)
class ItemFacts:
    """One subscription item: what is sold (price, product) and its period."""

    external_id: str | None
    price: str | None
    lookup_key: str | None
    product: str | None
    quantity: int | None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None

    @property
    def feature(self) -> str | None:
        """The item's feature: the price's lookup key, else the price (or legacy plan) id."""
        return self.lookup_key or self.price or self.product


@dataclass(frozen=True)
class SubscriptionFacts:
    """A snapshot of a subscription as the provider sent it at `work.at`."""

    external_id: str
    status: SubscriptionStatus
    customer_ref: str | None
    event_id: str
    items: tuple[ItemFacts, ...] = ()
    # Top-level periods (older API versions); items' periods win when present.
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    trial_end: datetime | None = None
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    pause_behavior: str | None = None
    pause_resumes_at: datetime | None = None
    latest_invoice: str | None = None

    @property
    def period_start(self) -> datetime | None:
        starts = [i.current_period_start for i in self.items if i.current_period_start]
        return max(starts) if starts else self.current_period_start

    @property
    def period_end(self) -> datetime | None:
        ends = [i.current_period_end for i in self.items if i.current_period_end]
        return max(ends) if ends else self.current_period_end


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice of a subscription, and how its payment went, at `work.at`."""

    invoice_id: str
    subscription_ref: str
    outcome: InvoiceOutcome
    created: datetime
    customer_ref: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    billing_reason: str | None = None
    number: str | None = None
    amount: int | None = None
    currency: str | None = None
    hosted_invoice_url: str | None = None
    # The end of the latest period its subscription lines bill for.
    period_end: datetime | None = None


@dataclass(frozen=True)
class EntitlementFacts:
    """A customer's active entitlements (Stripe Entitlements), by feature lookup key."""

    customer_ref: str
    lookup_keys: tuple[str, ...] = field(default_factory=tuple)

"""What the handlers call: record a subscription, an invoice or entitlements, then access.

Every function takes a unit of work (the event's time is `work.at`, by the provider's
clock) and ends by working out the customer's access again (subscriptions.answers), so
an admin action or a command changes subscriptions exactly as a webhook does.

When a snapshot conflicts with the recorded one (the same second, or older) and the
caller can re-read the subscription from the provider (`reread`, given when the store
connected its API key), the provider's current state is applied instead, dated now: as
careful Stripe integrations do, the API settles what event order cannot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, select

from shopsync import waits
from shopsync.clock import aware, utcnow
from shopsync.customers.customers import CustomerFacts, upsert_customer
from shopsync.customers.email_settings import settings_of
from shopsync.customers.moments import EmailMoment
from shopsync.errors import NotYetKnown
from shopsync.models import CustomerIdentity, Subscription
from shopsync.models.vocabulary import InvoiceOutcome, SubscriptionStatus
from shopsync.subscriptions import emails, records
from shopsync.subscriptions.answers import STRIPE, record_entitlements, refresh_access
from shopsync.subscriptions.facts import EntitlementFacts, InvoiceFacts, SubscriptionFacts
from shopsync.work import UnitOfWork

# A re-read snapshot outranks any event of its second.
REREAD_RANK = "~reread"
Reread = Callable[[], SubscriptionFacts | None]


def _known_stripe_customers(session: Session, store_id: int, refs: Sequence[str]) -> set[str]:
    statement = select(CustomerIdentity.external_id).where(
        CustomerIdentity.store_id == store_id,
        CustomerIdentity.provider == STRIPE,
        CustomerIdentity.external_id.in_(list(refs)),  # type: ignore[attr-defined]
    )
    return set(session.exec(statement))


# Events about a Stripe customer shopsync has no address for wait on this key.
STRIPE_CUSTOMER = waits.register("stripe_customer", _known_stripe_customers)


def record_subscription(
    work: UnitOfWork,
    facts: SubscriptionFacts,
    *,
    started_at: datetime | None = None,
    reread: Reread | None = None,
) -> Subscription:
    """Apply a snapshot if it is the newest (or re-read on conflict); then access."""
    customer_id = _stripe_customer(work, facts.customer_ref)
    row = records.subscription_row(work, facts.external_id)
    row.customer_id = row.customer_id or customer_id
    if records.is_conflicting_snapshot(row, work.at) and reread is not None:
        current = reread()
        if current is not None:
            at = max(utcnow(), aware(row.last_event_at or work.at), work.at)
            records.apply_snapshot(row, current, at=at, rank=REREAD_RANK)
            facts = current
    elif records.is_newer_snapshot(row, facts, work.at):
        records.apply_snapshot(row, facts, at=work.at, rank=records.snapshot_rank(facts))
    work.session.add(row)
    work.session.flush()
    _snapshot_emails(work, row, facts, started_at)
    refresh_access(work, customer_id)
    return row


def note_trial_ending(work: UnitOfWork, row: Subscription) -> None:
    """`trial_will_end`: tell the customer, once per trial."""
    if row.trial_end is not None and row.status == SubscriptionStatus.TRIALING.value:
        emails.write(work, row, EmailMoment.TRIAL_ENDING)


def record_invoice(work: UnitOfWork, facts: InvoiceFacts) -> Subscription:
    """Merge an invoice's outcome into its subscription; then emails and access."""
    customer_id = upsert_customer(
        work,
        CustomerFacts(
            email=facts.customer_email,
            name=facts.customer_name,
            provider=STRIPE,
            external_id=facts.customer_ref,
        ),
    )
    row = records.subscription_row(work, facts.subscription_ref)
    row.customer_ref = row.customer_ref or facts.customer_ref
    if customer_id is not None and facts.customer_ref:
        records.link_customer(work, customer_ref=facts.customer_ref, customer_id=customer_id)
        row.customer_id = customer_id
        work.made_known(STRIPE_CUSTOMER.key(facts.customer_ref))
    records.apply_invoice(row, facts, at=work.at)
    work.session.add(row)
    work.session.flush()
    _invoice_emails(work, row, facts)
    if row.customer_id is not None:
        refresh_access(work, row.customer_id)
    return row


def update_entitlements(work: UnitOfWork, facts: EntitlementFacts) -> None:
    """A customer's active entitlement summary: kept if newest; then access."""
    customer_id = _stripe_customer(work, facts.customer_ref)
    if record_entitlements(work, customer_id, facts.lookup_keys):
        refresh_access(work, customer_id)


def _stripe_customer(work: UnitOfWork, customer_ref: str | None) -> int:
    """The customer behind a Stripe customer id; parks the event until one is known."""
    if not customer_ref:
        raise NotYetKnown(STRIPE_CUSTOMER.key("-"))
    customer_id = upsert_customer(work, CustomerFacts(provider=STRIPE, external_id=customer_ref))
    if customer_id is None:
        raise NotYetKnown(STRIPE_CUSTOMER.key(customer_ref))
    return customer_id


def _snapshot_emails(
    work: UnitOfWork, row: Subscription, facts: SubscriptionFacts, started_at: datetime | None
) -> None:
    if facts.status is SubscriptionStatus.CANCELED:
        emails.write(work, row, EmailMoment.SUBSCRIPTION_CANCELED)
    elif facts.status in (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING):
        # Only a subscription that started lately: a store's old subscribers, first seen
        # at a renewal, are not welcomed again.
        limit = timedelta(days=settings_of(work.session, work.store_id).email_max_age_days)
        if started_at is not None and work.at - started_at <= limit:
            emails.write(work, row, EmailMoment.SUBSCRIPTION_STARTED)


def _invoice_emails(work: UnitOfWork, row: Subscription, facts: InvoiceFacts) -> None:
    if facts.outcome is InvoiceOutcome.PAID:
        if facts.billing_reason == "subscription_cycle":
            emails.write(work, row, EmailMoment.SUBSCRIPTION_RENEWED, invoice=facts)
    else:
        emails.write(work, row, EmailMoment.SUBSCRIPTION_PAYMENT_FAILED, invoice=facts)

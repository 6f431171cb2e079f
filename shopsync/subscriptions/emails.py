"""Subscription emails: started, renewed (a receipt), payment failed, trial ending, canceled.

Written to the outbox in the transaction that recorded the event, under the order
emails' rules (customers.notifications): nothing without SMTP, for events older than the
store's maximum age, for moments the store turned off, or without the customer's
transactional consent. Each is once per key: started and canceled once per
subscription, renewed and payment failed once per invoice, trial ending once per trial.

When its turn to be sent comes, a written email is skipped if the store turned the
moment off or the customer's emails off since, or if it was superseded:

    waiting email                  skipped once
    subscription_payment_failed    that invoice got paid, or a later renewed, started
                                   or canceled email was written
    subscription_started           a later canceled email was written
    trial_ending                   a later canceled email was written
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from shopsync.clock import aware, maybe_aware, utcnow
from shopsync.customers import notifications
from shopsync.customers.consent import may_send_order_email
from shopsync.customers.email_settings import moments_off, settings_of
from shopsync.customers.letters import Envelope
from shopsync.customers.moments import EmailMoment
from shopsync.models import Customer, OutboxMessage, Subscription
from shopsync.models.vocabulary import InvoiceOutcome
from shopsync.subscriptions.facts import InvoiceFacts
from shopsync.subscriptions.letters import SubscriptionLetter, compose
from shopsync.work import UnitOfWork

KEY_PREFIX = "email:subscription:"
SUPERSEDED_BY = {
    EmailMoment.SUBSCRIPTION_PAYMENT_FAILED: frozenset(
        {
            EmailMoment.SUBSCRIPTION_RENEWED,
            EmailMoment.SUBSCRIPTION_STARTED,
            EmailMoment.SUBSCRIPTION_CANCELED,
        }
    ),
    EmailMoment.SUBSCRIPTION_STARTED: frozenset({EmailMoment.SUBSCRIPTION_CANCELED}),
    EmailMoment.TRIAL_ENDING: frozenset({EmailMoment.SUBSCRIPTION_CANCELED}),
}


def email_key(subscription_id: int, moment: EmailMoment, detail: str = "") -> str:
    return f"{KEY_PREFIX}{subscription_id}:{moment.value}" + (f":{detail}" if detail else "")


def parse_key(key: str) -> tuple[int, EmailMoment, str]:
    subscription_id, moment, *detail = key.removeprefix(KEY_PREFIX).split(":", 2)
    return int(subscription_id), EmailMoment(moment), (detail[0] if detail else "")


def write(
    work: UnitOfWork,
    row: Subscription,
    moment: EmailMoment,
    *,
    invoice: InvoiceFacts | None = None,
) -> None:
    """Write the email for this moment, unless the rules say nothing goes."""
    context = notifications.email_context()
    settings = settings_of(work.session, work.store_id)
    if context is None or utcnow() - work.at > timedelta(days=settings.email_max_age_days):
        return
    customer = work.session.get(Customer, row.customer_id) if row.customer_id else None
    if moment.value in moments_off(settings) or customer is None:
        return
    if not may_send_order_email(customer):
        return
    assert row.id is not None
    key = email_key(row.id, moment, _detail(row, moment, invoice))
    letter = SubscriptionLetter(
        envelope=Envelope(work.store.name, settings, customer.email),
        moment=moment,
        customer_name=customer.name,
        plan=row.plan,
        amount=invoice.amount if invoice else None,
        currency=invoice.currency if invoice else None,
        invoice_number=invoice.number if invoice else None,
        invoice_url=invoice.hosted_invoice_url if invoice else None,
        date=_date(row, moment, invoice),
    )
    payload = compose(context, letter, key=key, at=utcnow())
    notifications.post_email(work, payload, key=key, recipient=customer.email)


def reason_to_skip(session: Session, message: OutboxMessage) -> str | None:
    """Why a written subscription email should not be sent now, or None to send it."""
    subscription_id, moment, detail = parse_key(message.idempotency_key)
    row = session.get(Subscription, subscription_id)
    if row is None:
        return "the subscription is gone"
    if moment.value in moments_off(settings_of(session, message.store_id)):
        return f"the store turned {moment.value} emails off"
    customer = session.get(Customer, row.customer_id) if row.customer_id else None
    if customer is not None and not customer.transactional_email:
        return "the customer's emails are off"
    if moment is EmailMoment.SUBSCRIPTION_PAYMENT_FAILED and _paid(row, detail):
        return "the invoice has been paid since"
    later = _written_after(session, message, subscription_id)
    superseding = SUPERSEDED_BY.get(moment, frozenset()) & later
    if superseding:
        return f"superseded by {sorted(m.value for m in superseding)[0]}"
    return None


def _paid(row: Subscription, invoice_id: str) -> bool:
    return row.invoice_id == invoice_id and row.invoice_outcome == InvoiceOutcome.PAID.value


def _written_after(
    session: Session, message: OutboxMessage, subscription_id: int
) -> set[EmailMoment]:
    statement = select(OutboxMessage.idempotency_key).where(
        col(OutboxMessage.idempotency_key).startswith(f"{KEY_PREFIX}{subscription_id}:"),
        col(OutboxMessage.id) > message.id,
    )
    return {parse_key(key)[1] for key in session.exec(statement)}


def _detail(row: Subscription, moment: EmailMoment, invoice: InvoiceFacts | None) -> str:
    if invoice is not None:
        return invoice.invoice_id
    if moment is EmailMoment.TRIAL_ENDING and row.trial_end is not None:
        return f"{aware(row.trial_end):%Y%m%d}"
    return ""


def _date(row: Subscription, moment: EmailMoment, invoice: InvoiceFacts | None) -> datetime | None:
    if moment is EmailMoment.TRIAL_ENDING:
        return maybe_aware(row.trial_end)
    if moment is EmailMoment.SUBSCRIPTION_CANCELED:
        return maybe_aware(row.canceled_at)
    if invoice is not None and invoice.period_end is not None:
        return invoice.period_end
    return maybe_aware(row.current_period_end)


notifications.register_skip_rule(KEY_PREFIX, reason_to_skip)

"""What each subscription email says; rendered when written, like order emails."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shopsync.customers.letters import EmailContext, Envelope, money, web_url
from shopsync.customers.moments import EmailMoment

SUBJECTS = {
    EmailMoment.SUBSCRIPTION_STARTED: "Your {store} subscription has started",
    EmailMoment.SUBSCRIPTION_RENEWED: "Receipt: your {store} subscription renewed",
    EmailMoment.SUBSCRIPTION_PAYMENT_FAILED: (
        "Payment for your {store} subscription did not go through"
    ),
    EmailMoment.TRIAL_ENDING: "Your {store} trial ends soon",
    EmailMoment.SUBSCRIPTION_CANCELED: "Your {store} subscription has been canceled",
}
HEADLINES = {
    EmailMoment.SUBSCRIPTION_STARTED: "Welcome, your subscription has started",
    EmailMoment.SUBSCRIPTION_RENEWED: "Thanks, your subscription renewed",
    EmailMoment.SUBSCRIPTION_PAYMENT_FAILED: "Your payment did not go through",
    EmailMoment.TRIAL_ENDING: "Your trial ends soon",
    EmailMoment.SUBSCRIPTION_CANCELED: "Your subscription has been canceled",
}


@dataclass(frozen=True)
class SubscriptionLetter:
    """Everything one subscription email says."""

    envelope: Envelope
    moment: EmailMoment
    customer_name: str | None
    plan: str | None
    amount: int | None = None
    currency: str | None = None
    invoice_number: str | None = None
    invoice_url: str | None = None
    # The next renewal, the end of access, or the end of the trial, as the moment says.
    date: datetime | None = None


def compose(
    context: EmailContext, letter: SubscriptionLetter, *, key: str, at: datetime
) -> dict[str, str]:
    values = _values(letter)
    rendered = letter.envelope.render(context, letter.moment.value, values, key=key, at=at)
    return {"moment": letter.moment.value, **rendered}


def _values(letter: SubscriptionLetter) -> dict[str, Any]:
    store = letter.envelope.store_values()
    return {
        "subject": SUBJECTS[letter.moment].format(store=store["name"]),
        "headline": HEADLINES[letter.moment],
        "customer_name": letter.customer_name,
        "store": store,
        "plan": letter.plan,
        "amount": money(letter.amount, letter.currency),
        "invoice_number": letter.invoice_number,
        "invoice_url": web_url(letter.invoice_url),
        "date": f"{letter.date:%d %B %Y}".lstrip("0") if letter.date else None,
    }

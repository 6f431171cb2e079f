"""Invoices of subscriptions: paid (`invoice.paid`, its older twin `invoice.payment_succeeded`),
failed, or waiting for the customer (`invoice.payment_action_required`).

The subscription is at `parent.subscription_details.subscription` in current API
versions and at the top-level `subscription` in older ones (and localstripe's). An
invoice of no subscription (a one-off) is ignored here.
"""

from __future__ import annotations

from typing import Any

from handlers.stripe.objects import currency, data_object, reference, text
from handlers.stripe.provider import NAME
from handlers.stripe.subscriptions import unix_time
from shopsync.errors import Ignored, Unprocessable
from shopsync.models.vocabulary import InvoiceOutcome
from shopsync.money import MAX_MINOR_UNITS
from shopsync.pipeline.registry import EventContext, registry
from shopsync.subscriptions import updates
from shopsync.subscriptions.facts import InvoiceFacts

OUTCOMES = {
    "invoice.paid": InvoiceOutcome.PAID,
    "invoice.payment_succeeded": InvoiceOutcome.PAID,
    "invoice.payment_failed": InvoiceOutcome.FAILED,
    "invoice.payment_action_required": InvoiceOutcome.ACTION_REQUIRED,
}


@registry.on(NAME, *OUTCOMES)
def record_invoice(ctx: EventContext) -> None:
    invoice = data_object(ctx)
    facts = invoice_facts(invoice, OUTCOMES[ctx.event.event_type])
    updates.record_invoice(ctx.work, facts)


def invoice_facts(invoice: dict[str, Any], outcome: InvoiceOutcome) -> InvoiceFacts:
    invoice_id = reference(invoice.get("id"))
    created = unix_time(invoice.get("created"))
    if invoice_id is None or created is None:
        raise Unprocessable("missing invoice id or created")
    subscription = subscription_of(invoice)
    if subscription is None:
        raise Ignored("invoice of no subscription")
    paid_amount = invoice.get("amount_paid") if outcome is InvoiceOutcome.PAID else None
    return InvoiceFacts(
        invoice_id=invoice_id,
        subscription_ref=subscription,
        outcome=outcome,
        created=created,
        customer_ref=reference(invoice.get("customer")),
        customer_email=text(invoice.get("customer_email")),
        customer_name=text(invoice.get("customer_name"), 200),
        billing_reason=text(invoice.get("billing_reason"), 60),
        number=text(invoice.get("number"), 60),
        amount=_amount(paid_amount if paid_amount is not None else invoice.get("amount_due")),
        currency=currency(invoice) if invoice.get("currency") else None,
        hosted_invoice_url=text(invoice.get("hosted_invoice_url"), 1000),
        period_end=_period_end(invoice, subscription),
    )


def subscription_of(invoice: dict[str, Any]) -> str | None:
    parent = invoice.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    current = reference(details.get("subscription")) if isinstance(details, dict) else None
    return current or reference(invoice.get("subscription"))


def _period_end(invoice: dict[str, Any], subscription: str) -> Any:
    """The latest end among the invoice's lines for this subscription's items."""
    lines = invoice.get("lines")
    data = lines.get("data") if isinstance(lines, dict) else None
    ends = []
    for line in data if isinstance(data, list) else []:
        if isinstance(line, dict) and _line_subscription(line) in (subscription, None):
            period = line.get("period")
            end = unix_time(period.get("end")) if isinstance(period, dict) else None
            if end is not None:
                ends.append(end)
    return max(ends) if ends else None


def _line_subscription(line: dict[str, Any]) -> str | None:
    parent = line.get("parent")
    details = parent.get("subscription_item_details") if isinstance(parent, dict) else None
    current = reference(details.get("subscription")) if isinstance(details, dict) else None
    return current or reference(line.get("subscription"))


def _amount(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MINOR_UNITS:
        return value
    return None

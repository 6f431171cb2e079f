"""`shopsync store notifications`, `store branding`, `store customer-emails`: customers' emails."""

from __future__ import annotations

import click

from shopsync import bootstrap
from shopsync.customers import consent
from shopsync.customers.customers import find_customer
from shopsync.customers.email_settings import (
    InvalidSetting,
    SettingsChange,
    moments_off,
    update_settings,
)
from shopsync.customers.moments import EmailMoment
from shopsync.models import StoreSettings
from shopsync.work import Cause, UnknownStore, unit_of_work

MOMENTS = ", ".join(moment.value for moment in EmailMoment)


@click.command("notifications")
@click.argument("store_id", type=int)
@click.option("--off", "turn_off", multiple=True, help=f"Stop this email ({MOMENTS}).")
@click.option("--on", "turn_on", multiple=True, help="Send this email again.")
@click.option("--from", "email_from", help='Sender address ("" for the default).')
@click.option("--from-name", help='Sender name ("" for the store\'s name).')
@click.option("--reply-to", help='Where replies go ("" for the sender).')
@click.option("--max-age-days", type=int, help="Send nothing for events older than this.")
def notifications(
    store_id: int,
    *,
    turn_off: tuple[str, ...],
    turn_on: tuple[str, ...],
    email_from: str | None,
    from_name: str | None,
    reply_to: str | None,
    max_age_days: int | None,
) -> None:
    """Show or change which emails STORE_ID's customers get, and who sends them."""
    change = SettingsChange(
        turn_off=turn_off,
        turn_on=turn_on,
        email_from=email_from,
        email_from_name=from_name,
        reply_to=reply_to,
        max_age_days=max_age_days,
    )
    _show(_update(store_id, change))


@click.command("branding")
@click.argument("store_id", type=int)
@click.option("--colour", "--color", "colour", help='Brand colour, e.g. #0a7d5a ("" to reset).')
@click.option("--logo", help='Logo URL, http(s) ("" for none).')
def branding(store_id: int, colour: str | None, logo: str | None) -> None:
    """Show or change the colour and logo of STORE_ID's emails."""
    _show(_update(store_id, SettingsChange(brand_colour=colour, logo_url=logo)))


@click.command("customer-emails")
@click.argument("store_id", type=int)
@click.argument("email")
@click.option("--on/--off", required=True, help="Send this customer order emails, or stop.")
def customer_emails(store_id: int, email: str, on: bool) -> None:
    """Turn one customer's order emails on or off (when they ask the store to stop)."""
    rt = bootstrap.start()
    cause = Cause.cli(f"store customer-emails {store_id}")
    try:
        with unit_of_work(rt.engine, store_id=store_id, cause=cause) as work:
            customer = consent.set_transactional(work, find_customer(work, email), on=on)
            address = customer.email
    except (consent.UnknownCustomer, UnknownStore) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"order emails to {address}: {'on' if on else 'off'}")


def _update(store_id: int, change: SettingsChange) -> StoreSettings:
    rt = bootstrap.start()
    try:
        return update_settings(rt.engine, store_id=store_id, change=change)
    except InvalidSetting as error:
        raise click.ClickException(str(error)) from None


def _show(settings: StoreSettings) -> None:
    off = moments_off(settings)
    on = [m.value for m in EmailMoment if m.value not in off]
    click.echo(f"store {settings.store_id} emails")
    click.echo(f"  on:        {', '.join(on) or '-'}")
    click.echo(f"  off:       {', '.join(m.value for m in EmailMoment if m.value in off) or '-'}")
    click.echo(
        f"  from:      {settings.email_from_name or '(store name)'} "
        f"<{settings.email_from or 'the default sender'}>"
    )
    click.echo(f"  reply-to:  {settings.reply_to or '-'}")
    click.echo(f"  colour:    {settings.brand_colour or '(default)'}")
    click.echo(f"  logo:      {settings.logo_url or '-'}")
    click.echo(f"  max age:   {settings.email_max_age_days} days")


# Added to the `store` group by shopsync.cli.
STORE_COMMANDS = [notifications, branding, customer_emails]
COMMANDS: list[click.Command] = []

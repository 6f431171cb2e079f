"""Stripe: connect a secret or restricted key per mode (test and live side by side),
see the endpoint as Stripe has it, roll its secret, disconnect.

The key is typed once into a password field, sent in a POST, kept encrypted and shown
again only as its prefix and last four characters.
"""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from shopsync.admin.connections import stripe_modes, stripe_services
from shopsync.connections import stripe as connection
from shopsync.connections.jobs import schedule_finish
from shopsync.connections.stripe_api import StripeUnavailable, is_live_key
from shopsync.errors import ConfigError, ProviderError
from shopsync.web.admin.connections import cards
from shopsync.web.admin.guard import current_store_id, runtime

log = logging.getLogger(__name__)
bp = Blueprint("stripe", __name__, url_prefix="/stripe")
cards.add(
    "Stripe",
    "admin_connections.stripe.index",
    provider="stripe",
    description="Payments, refunds, disputes and subscriptions; test and live mode.",
    position=10,
)

KEY_LIMIT = 300
MODES = "<any(live,test):mode>"


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    modes = stripe_modes(runtime(), store_id=current_store_id())
    return render_template("admin/connections/stripe.html", modes=modes, **shown), status


@bp.get("")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/connect")
def connect() -> ResponseReturnValue:
    """Connect the key pasted into one mode's form (a key of the other mode is refused)."""
    rt = runtime()
    api_key = request.form.get("api_key", "")[:KEY_LIMIT].strip()
    wanted = request.form.get("mode") == "live"
    if api_key and is_live_key(api_key) != wanted:
        mode = connection.mode_name(not wanted)
        return _page(422, error=f"This is a {mode}-mode key: paste it under {mode.title()} mode.")
    try:
        connected = connection.connect(
            stripe_services(rt),
            store_id=current_store_id(),
            api_key=api_key,
            public_url=rt.settings.public_url,
            events=connection.handled_events(),
        )
    except (connection.StripeConnectionError, ProviderError) as refused:
        return _page(
            # Stripe not answering is its failure; a refused key or input is the form's.
            502 if isinstance(refused, StripeUnavailable) else 422,
            error=f"Not connected: {refused}.",
        )
    flash(
        f"Connected to Stripe in {connected.mode} mode: Stripe now sends this store's events "
        "to its webhook URL, signed with a secret shopsync keeps."
    )
    return redirect(url_for(".index"), code=303)


@bp.post(f"/{MODES}/roll")
def roll(mode: str) -> ResponseReturnValue:
    rt, store_id, live = runtime(), current_store_id(), mode == "live"
    try:
        until = connection.roll_secret(
            stripe_services(rt),
            store_id=store_id,
            livemode=live,
            public_url=rt.settings.public_url,
            events=connection.handled_events(),
        )
    except (connection.StripeConnectionError, ProviderError) as refused:
        return _page(422, error=f"The secret was not rolled: {refused}.")
    try:
        schedule_finish(store_id, live, until)
    except (RedisError, ConfigError) as error:
        # The relay finishes rolls past their day without the job.
        log.warning(
            "secret roll saved; its finishing job was not queued (%s)", type(error).__name__
        )
    flash(
        f"New {mode}-mode signing secret in use. The old one keeps verifying until "
        f"{until:%d %b %Y, %H:%M} UTC; then its endpoint is deleted at Stripe."
    )
    return redirect(url_for(".index"), code=303)


@bp.post(f"/{MODES}/finish-roll")
def finish_roll(mode: str) -> ResponseReturnValue:
    try:
        old = connection.finish_roll(
            stripe_services(runtime()), store_id=current_store_id(), livemode=mode == "live"
        )
    except (connection.StripeConnectionError, ProviderError) as refused:
        return _page(422, error=f"The roll was not finished: {refused}.")
    flash(
        f"The old {mode}-mode endpoint was deleted at Stripe." if old else "No roll was under way."
    )
    return redirect(url_for(".index"), code=303)


@bp.post(f"/{MODES}/disconnect")
def disconnect(mode: str) -> ResponseReturnValue:
    try:
        deleted = connection.disconnect(
            stripe_services(runtime()), store_id=current_store_id(), livemode=mode == "live"
        )
    except (connection.StripeConnectionError, ProviderError) as refused:
        return _page(422, error=f"Not disconnected: {refused}.")
    flash(
        f"Disconnected from Stripe in {mode} mode: {len(deleted)} endpoint(s) deleted at Stripe; "
        "the key is forgotten."
    )
    return redirect(url_for(".index"), code=303)

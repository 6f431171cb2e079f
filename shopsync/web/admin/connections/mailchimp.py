"""Mailchimp: an API key and the audience whose members are the store's marketing
contacts; shopsync registers its audience webhook there (`shopsync.mailchimp.connection`,
which `shopsync mailchimp connect` uses too).

Without an audience ID the account's audiences are listed to choose from (one alone is
taken). While the user chooses, the key waits in the signed session cookie, encrypted
with the vault, for this store and `HOLD_SECONDS` at most: it is never put in the page.
"""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin.mailchimp import mailchimp_page, refusal
from shopsync.errors import ProviderError, SecretsUnreadable
from shopsync.mailchimp import connection
from shopsync.mailchimp.connection import AudienceNeeded, MailchimpConnectionError
from shopsync.web.admin.connections import cards
from shopsync.web.admin.guard import current_store_id, runtime

bp = Blueprint("mailchimp", __name__, url_prefix="/mailchimp")
cards.add(
    "Mailchimp",
    "admin_connections.mailchimp.index",
    provider="mailchimp",
    description=(
        "Marketing both ways: the audience's subscribes and unsubscribes come in; "
        "consenting buyers, paid orders and plans go out."
    ),
    position=40,
)

KEY_LIMIT = 100
AUDIENCE_LIMIT = 100
HELD_KEY = "mailchimp_key"
HOLD_SECONDS = 15 * 60


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    found = mailchimp_page(runtime(), store_id=current_store_id())
    return render_template("admin/connections/mailchimp.html", found=found, **shown), status


@bp.get("")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/connect")
def connect() -> ResponseReturnValue:
    api_key = request.form.get("api_key", "")[:KEY_LIMIT].strip()
    audience_id = request.form.get("audience_id", "")[:AUDIENCE_LIMIT].strip() or None
    return _connect(api_key, audience_id)


@bp.post("/audience")
def choose_audience() -> ResponseReturnValue:
    """The second step: the audience chosen from the list, with the key held meanwhile."""
    api_key = _held_key()
    if api_key is None:
        return _page(422, error="Not connected: paste the API key again (it is held 15 minutes).")
    audience_id = request.form.get("audience_id", "")[:AUDIENCE_LIMIT].strip()
    if not audience_id:
        return _page(422, error="Not connected: choose one of the audiences.")
    return _connect(api_key, audience_id)


def _connect(api_key: str, audience_id: str | None) -> ResponseReturnValue:
    double_opt_in = request.form.get("double_opt_in") == "on"
    try:
        found = _connect_to(api_key, audience_id, double_opt_in)
    except AudienceNeeded as needed:
        if not needed.audiences:
            return _page(422, error=f"Not connected: {needed}.")
        if len(needed.audiences) == 1:
            return _connect(api_key, needed.audiences[0].id)
        _hold_key(api_key, current_store_id())
        return _page(audiences=needed.audiences, double_opt_in=double_opt_in)
    except (MailchimpConnectionError, ProviderError) as refused:
        code, line = refusal(refused)
        return _page(code, error=f"Not connected: {line}.")
    session.pop(HELD_KEY, None)
    flash(
        f"Connected to Mailchimp: the audience {found.audience_name or found.audience_id} now "
        "tells this store when members subscribe, unsubscribe or change."
    )
    return redirect(url_for(".index"), code=303)


def _connect_to(
    api_key: str, audience_id: str | None, double_opt_in: bool
) -> connection.ConnectionStatus:
    rt = runtime()
    return connection.connect(
        connection.services_for(rt),
        store_id=current_store_id(),
        api_key=api_key,
        audience_id=audience_id,
        double_opt_in=double_opt_in,
        public_url=rt.settings.public_url,
    )


@bp.post("/double-opt-in")
def double_opt_in() -> ResponseReturnValue:
    enabled = request.form.get("enabled") == "1"
    try:
        connection.set_double_opt_in(
            connection.services_for(runtime()), store_id=current_store_id(), enabled=enabled
        )
    except MailchimpConnectionError as refused:
        return _page(422, error=f"Not changed: {refused}.")
    flash(
        "New members from checkouts now confirm by email first (pending until they do)."
        if enabled
        else "New members from checkouts are now subscribed straight away."
    )
    return redirect(url_for(".index"), code=303)


@bp.post("/disconnect")
def disconnect() -> ResponseReturnValue:
    try:
        deleted = connection.disconnect(
            connection.services_for(runtime()), store_id=current_store_id()
        )
    except (MailchimpConnectionError, ProviderError) as refused:
        code, line = refusal(refused)
        return _page(code, error=f"Not disconnected: {line}.")
    gone = "deleted at Mailchimp" if deleted else "already gone at Mailchimp"
    flash(f"Disconnected from Mailchimp: the audience webhook was {gone}; the key is forgotten.")
    return redirect(url_for(".index"), code=303)


@bp.post("/forget")
def forget() -> ResponseReturnValue:
    """Forget the key when Mailchimp refuses it: the webhook, if any, stays there."""
    connection.forget(connection.services_for(runtime()), store_id=current_store_id())
    flash(
        "The Mailchimp key is forgotten and the old webhook URL verifies nothing; delete "
        "shopsync's webhook in the audience's settings at Mailchimp by hand."
    )
    return redirect(url_for(".index"), code=303)


def _hold_key(api_key: str, store_id: int) -> None:
    sealed = runtime().vault.encrypt(api_key)
    session[HELD_KEY] = {"store": store_id, "key": sealed, "at": int(time.time())}


def _held_key() -> str | None:
    """The key held for this store, if it was held less than HOLD_SECONDS ago."""
    held = session.get(HELD_KEY)
    if not isinstance(held, dict) or held.get("store") != current_store_id():
        return None
    at = held.get("at")
    if not isinstance(at, int) or time.time() - at > HOLD_SECONDS:
        session.pop(HELD_KEY, None)
        return None
    try:
        return runtime().vault.decrypt(str(held.get("key")))
    except SecretsUnreadable:
        return None

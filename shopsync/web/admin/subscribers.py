"""The store's webhook subscribers: add, enable or disable, roll or reveal secrets, test.

Secrets appear only in the answer to a POST (a new subscriber, a rolled secret, or a
reveal after the password is entered again), never in a URL, a flash or a log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin import stores
from shopsync.outbox.http import TargetPolicy
from shopsync.stores import subscribers
from shopsync.stores.subscribers import ORDER_EVENT_TYPES, InvalidSubscriber
from shopsync.web.admin import nav
from shopsync.web.admin.guard import admin_blueprint, current_store_id, runtime, signed_in
from shopsync.web.extensions import limiter

bp = admin_blueprint("admin_subscribers", __name__, "/subscribers")
nav.add("Subscribers", "admin_subscribers.index", position=50)

FIELD_LIMIT = 1024
T = TypeVar("T")


def _or_404(action: Callable[[], T]) -> T:
    """Run `action`; another store's subscriber (or none) is simply not found."""
    try:
        return action()
    except InvalidSubscriber:
        abort(404)


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    found = stores.subscribers_of(runtime().engine, store_id=current_store_id())
    page = render_template(
        "admin/subscribers/list.html",
        subscribers=found,
        event_types=ORDER_EVENT_TYPES,
        **shown,
    )
    return page, status


@bp.get("")
def index() -> tuple[str, int]:
    return _page()


@bp.post("")
def add() -> tuple[str, int]:
    rt = runtime()
    try:
        created = stores.add_subscriber(
            rt.engine,
            rt.vault,
            store_id=current_store_id(),
            url=request.form.get("url", "")[:FIELD_LIMIT],
            event_types=request.form.getlist("events"),
            policy=TargetPolicy(rt.settings.webhook_targets),
        )
    except InvalidSubscriber as error:
        return _page(422, error=error, url=request.form.get("url", "")[:FIELD_LIMIT])
    return _page(secret_for=created.id, secrets=[created.secret], created=True)


@bp.post("/<int:subscriber_id>/<any(enable,disable):action>")
def toggle(subscriber_id: int, action: str) -> ResponseReturnValue:
    _or_404(
        lambda: subscribers.set_enabled(
            runtime().engine,
            store_id=current_store_id(),
            subscriber_id=subscriber_id,
            enabled=action == "enable",
        )
    )
    flash(f"Subscriber {subscriber_id} {action}d.")
    return redirect(url_for(".index"), code=303)


@bp.post("/<int:subscriber_id>/roll")
def roll(subscriber_id: int) -> tuple[str, int]:
    rt = runtime()
    secret = _or_404(
        lambda: subscribers.roll_secret(
            rt.engine, rt.vault, store_id=current_store_id(), subscriber_id=subscriber_id
        )
    )
    return _page(secret_for=subscriber_id, secrets=[secret], rolled=True)


@bp.post("/<int:subscriber_id>/reveal")
@limiter.limit("10 per hour", methods=["POST"])
def reveal(subscriber_id: int) -> tuple[str, int]:
    rt = runtime()
    secrets = _or_404(
        lambda: stores.reveal_secrets(
            rt.engine,
            rt.vault,
            user=signed_in(),
            password=request.form.get("password", "")[:FIELD_LIMIT],
            store_id=current_store_id(),
            subscriber_id=subscriber_id,
        )
    )
    if secrets is None:
        return _page(403, error="That password is not right.")
    return _page(secret_for=subscriber_id, secrets=secrets)


@bp.post("/<int:subscriber_id>/test")
def send_test(subscriber_id: int) -> ResponseReturnValue:
    message_id = _or_404(
        lambda: stores.send_test_event(
            runtime(),
            store_id=current_store_id(),
            subscriber_id=subscriber_id,
            actor=signed_in().email,
        )
    )
    flash(f"Test event queued for subscriber {subscriber_id}: this is its message.")
    return redirect(url_for("admin_outbox.show", message_id=message_id), code=303)


@bp.post("/<int:subscriber_id>/remove")
def remove(subscriber_id: int) -> ResponseReturnValue:
    _or_404(
        lambda: subscribers.remove_subscriber(
            runtime().engine, store_id=current_store_id(), subscriber_id=subscriber_id
        )
    )
    flash(f"Subscriber {subscriber_id} removed.")
    return redirect(url_for(".index"), code=303)

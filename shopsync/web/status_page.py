"""The customer's order status page, its live fragment, and "find my order".

The page works without JavaScript; with it, /static/js/status.js polls the fragment
every few seconds with the tag it last saw (If-None-Match) and gets 304 until the order
changes. Each poll is one short request: no worker is held per viewer, which matters
behind a router that cuts requests at 30 s.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from werkzeug.exceptions import TooManyRequests

from shopsync.outbox.jobs import wake_senders
from shopsync.status_page.find_my_order import request_status_link
from shopsync.status_page.view import PublicOrder, live_tag, public_order
from shopsync.web.extensions import limiter
from shopsync.web.page_headers import protect_page
from shopsync.web.state import app_state

bp = Blueprint("status_page", __name__)
log = logging.getLogger(__name__)

POLL_SECONDS = 5
SETTLED_POLL_SECONDS = 60
FORM_FIELD_LIMIT = 320
SECRET_URLS = frozenset({"status_page.show", "status_page.live"})


@bp.get("/orders/<token>")
def show(token: str) -> ResponseReturnValue:
    order = public_order(app_state().runtime.engine, token)
    if order is None:
        return render_template("status/not_found.html"), 404
    _allow_logo(order)
    return render_template(
        "status/order.html", order=order, branding=order.branding, **_polling(token, order)
    )


@bp.get("/orders/<token>/live")
def live(token: str) -> ResponseReturnValue:
    """The changing part of the page, or 304 while its tag is the one the client has."""
    engine = app_state().runtime.engine
    tag = live_tag(engine, token)
    if tag is None:
        return render_template("status/not_found.html"), 404
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        order = public_order(engine, token)
        if order is None:
            return render_template("status/not_found.html"), 404
        response = Response(render_template("status/_live.html", order=order))
        tag = order.tag  # read before the page: never newer than what it shows
    response.set_etag(tag)
    return response


def _polling(token: str, order: PublicOrder) -> dict[str, object]:
    return {
        "live_url": url_for(".live", token=token),
        "poll_seconds": SETTLED_POLL_SECONDS if order.settled else POLL_SECONDS,
    }


def _allow_logo(order: PublicOrder) -> None:
    if order.branding.logo_url:
        parts = urlsplit(order.branding.logo_url)
        g.page_images = (f"{parts.scheme}://{parts.netloc}",)


def _address_key() -> str:
    """Limits per email address, kept in Redis only as a hash."""
    address = request.form.get("email", "")[:FORM_FIELD_LIMIT].strip().lower()
    return "find-address:" + hashlib.sha256(address.encode()).hexdigest()[:32]


@bp.route("/orders/find", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_address_key, methods=["POST"])
def find() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("status/find.html")
    rt = app_state().runtime
    posted = request_status_link(
        rt.engine,
        email=request.form.get("email", "")[:FORM_FIELD_LIMIT],
        number=request.form.get("number", "")[:FORM_FIELD_LIMIT],
    )
    try:
        wake_senders(rt.redis, posted)
    except RedisError as error:  # saved; the relay sends it after its grace period
        log.warning("status link saved but Redis is unavailable (%s)", type(error).__name__)
    return redirect(url_for(".find_sent"), code=303)


@bp.get("/orders/find/sent")
def find_sent() -> str:
    return render_template("status/find_sent.html")


@bp.errorhandler(TooManyRequests)
def too_many(_error: TooManyRequests) -> tuple[str, int]:
    return render_template("status/too_many.html"), 429


@bp.errorhandler(CSRFError)
def form_expired(_error: CSRFError) -> tuple[str, int]:
    return render_template("status/form_expired.html"), 400


@bp.after_request
def _headers(response: Response) -> Response:
    # The status page's URL is its key: never send it to a carrier as a Referer.
    referrer = "no-referrer" if request.endpoint in SECRET_URLS else "same-origin"
    return protect_page(response, referrer=referrer, images=g.get("page_images", ()))

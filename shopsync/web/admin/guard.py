"""What every admin page shares: signed-in users only, the current store, page headers.

`admin_blueprint` makes a blueprint whose every route sends anonymous visitors to the
sign-in page; the current store is the one chosen in the header, re-checked on every
request against the stores the user may see. Row lookups then take that store's id, so
an id from another store is simply not found.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound

from shopsync.admin.users import AdminIdentity, stores_for
from shopsync.admin.wakeups import Queued
from shopsync.models import Store
from shopsync.runtime import Runtime
from shopsync.web.admin import nav
from shopsync.web.page_headers import protect_page
from shopsync.web.state import app_state

STORE_KEY = "admin_store_id"
NEXT_LIMIT = 2000


def admin_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint under /admin whose routes all require a signed-in user."""
    bp = Blueprint(name, import_name, url_prefix="/admin" + url_prefix)
    bp.before_request(_require_user)
    decorate_pages(bp)
    return bp


def decorate_pages(bp: Blueprint) -> None:
    """Page headers, the layout's context and friendly error pages for an admin blueprint."""
    bp.after_request(_headers)
    bp.context_processor(page_context)
    bp.register_error_handler(CSRFError, _form_expired)
    bp.register_error_handler(NotFound, _not_found)


def _require_user() -> ResponseReturnValue | None:
    if current_user.is_authenticated:
        return None
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin_auth.login", next=wanted), code=303)


def _headers(response: Response) -> Response:
    return protect_page(response)


def _form_expired(_error: CSRFError) -> tuple[str, int]:
    return render_template("admin/form_expired.html"), 400


def _not_found(_error: NotFound) -> tuple[str, int]:
    return render_template("admin/not_found.html"), 404


def runtime() -> Runtime:
    return app_state().runtime


def signed_in() -> AdminIdentity:
    user: AdminIdentity = current_user._get_current_object()
    return user


def visible_stores() -> list[Store]:
    if "admin_stores" not in g:
        g.admin_stores = stores_for(runtime().engine, signed_in())
    stores: list[Store] = g.admin_stores
    return stores


def current_store() -> Store:
    """The store chosen in the header, if the user may still see it; else their first."""
    stores = visible_stores()
    if not stores:
        abort(Response(render_template("admin/no_store.html"), status=409))
    wanted = session.get(STORE_KEY)
    return next((store for store in stores if store.id == wanted), stores[0])


def current_store_id() -> int:
    store_id = current_store().id
    assert store_id is not None
    return store_id


def choose_store(store_id: int) -> bool:
    """Make `store_id` the current store; False when the user may not see it."""
    if not any(store.id == store_id for store in visible_stores()):
        return False
    session[STORE_KEY] = store_id
    return True


def safe_next(target: str | None) -> str:
    """Where to go after signing in: an admin path on this site, never anywhere else."""
    fallback = url_for("admin_dashboard.index")
    if not target or len(target) > NEXT_LIMIT or "\\" in target:
        return fallback
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return fallback
    if parts.path != "/admin" and not parts.path.startswith("/admin/"):
        return fallback
    return target


def int_arg(name: str) -> int | None:
    """A positive whole number from the query string, or None."""
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def choice_arg(name: str, choices: tuple[str, ...] | list[str]) -> str | None:
    value = request.args.get(name, "")
    return value if value in choices else None


def text_arg(name: str, limit: int) -> str:
    return request.args.get(name, "")[:limit].strip()


def page_context() -> dict[str, object]:
    """What the admin layout shows: the user, the store switcher, the sections."""
    if not current_user.is_authenticated:
        return {"sections": []}
    return {
        "user": signed_in(),
        "stores": visible_stores(),
        "store": current_store() if visible_stores() else None,
        "sections": nav.sections(),
    }


def replayed(queued: Queued | None, noun: str, back: str) -> ResponseReturnValue:
    """Say what a replay queued and go back; None means the row is not this store's."""
    if queued is None:
        abort(404)
    if not queued.count:
        flash(f"Nothing to replay: no {noun} was in a state that can be replayed.")
    else:
        plural = noun if queued.count == 1 else noun + "s"
        later = "" if queued.woken else " (Redis is unavailable: they start within a minute)"
        flash(f"Queued {queued.count} {plural} for replay{later}.")
    return redirect(back, code=303)

"""Stores: switching from the header, a store's settings, and (for owners) a new store."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin.stores import (
    InvalidSettings,
    StoreSettings,
    add_store,
    settings_of,
    update_settings,
)
from shopsync.web.admin import nav, store_settings
from shopsync.web.admin.guard import (
    admin_blueprint,
    choose_store,
    current_store_id,
    runtime,
    safe_next,
    signed_in,
)

bp = admin_blueprint("admin_stores", __name__, "/stores")
bp.register_blueprint(store_settings.bp)
nav.add("Settings", "admin_stores.settings", position=60)

NAME_LIMIT = 300


@bp.post("/switch")
def switch() -> ResponseReturnValue:
    """Make another of the user's stores the current one; anyone else's is not found."""
    wanted = request.form.get("store_id", "")
    if not wanted.isdigit() or not choose_store(int(wanted)):
        abort(404)
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.get("/settings")
def settings() -> str:
    current = settings_of(runtime().engine, store_id=current_store_id())
    return render_template("admin/stores/settings.html", settings=current)


@bp.post("/settings")
def save_settings() -> ResponseReturnValue:
    wanted = StoreSettings(
        name=request.form.get("name", "")[:NAME_LIMIT],
        test_mode=request.form.get("test_mode") == "on",
        stripe_account_id=request.form.get("stripe_account_id", "")[:NAME_LIMIT],
    )
    try:
        update_settings(runtime().engine, store_id=current_store_id(), wanted=wanted)
    except InvalidSettings as error:
        return render_template("admin/stores/settings.html", settings=wanted, error=error), 422
    flash("Settings saved.")
    return redirect(url_for(".settings"), code=303)


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Owners add stores: the API key and webhook secrets are shown on this page only."""
    if not signed_in().all_stores:
        abort(403)
    if request.method == "GET":
        return render_template("admin/stores/new.html")
    rt = runtime()
    try:
        created = add_store(
            rt.engine,
            rt.vault,
            name=request.form.get("name", "")[:NAME_LIMIT],
            test_mode=request.form.get("test_mode") == "on",
            public_url=rt.settings.public_url,
        )
    except InvalidSettings as error:
        return render_template("admin/stores/new.html", error=error), 422
    choose_store(created.store_id)
    return render_template("admin/stores/created.html", created=created)

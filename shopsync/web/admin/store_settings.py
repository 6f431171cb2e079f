"""A store's settings beyond its name: emails, branding, access rules, retention.

A blueprint nested under the stores one (`admin_stores.settings_pages.*`), so the
header's "Settings" tab and the sign-in guard cover it. Each form calls the service the
CLI uses (`shopsync.admin.settings`); a refused value re-shows the form with the reason.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin import settings as store_settings
from shopsync.customers.moments import EmailMoment
from shopsync.web.admin.guard import current_store_id, runtime

bp = Blueprint("settings_pages", __name__, url_prefix="/settings")

FIELD_LIMIT = 1000


def _form(template: str, status: int = 200, **shown: object) -> tuple[str, int]:
    rt = runtime()
    current = store_settings.store_settings(rt.engine, store_id=current_store_id())
    page = render_template(
        f"admin/settings/{template}.html",
        settings=current,
        moments=list(EmailMoment),
        moments_on=store_settings.moments_on(current),
        feature_sources=store_settings.FEATURE_SOURCES,
        max_grace_days=store_settings.MAX_GRACE_DAYS,
        retention_days=rt.settings.retention_days,
        **shown,
    )
    return page, status


def _field(name: str) -> str:
    return request.form.get(name, "")[:FIELD_LIMIT]


def _saved(endpoint: str, what: str) -> ResponseReturnValue:
    flash(f"{what} saved.")
    return redirect(url_for(endpoint), code=303)


@bp.get("/notifications")
def notifications() -> tuple[str, int]:
    return _form("notifications")


@bp.post("/notifications")
def save_notifications() -> ResponseReturnValue:
    form = store_settings.NotificationsForm(
        moments_on=request.form.getlist("moments"),
        email_from=_field("email_from"),
        email_from_name=_field("email_from_name"),
        reply_to=_field("reply_to"),
        max_age_days=_field("max_age_days"),
    )
    try:
        store_settings.save_notifications(runtime().engine, store_id=current_store_id(), form=form)
    except store_settings.InvalidSetting as error:
        return _form("notifications", 422, error=error)
    return _saved(".notifications", "Email settings")


@bp.get("/branding")
def branding() -> tuple[str, int]:
    return _form("branding")


@bp.post("/branding")
def save_branding() -> ResponseReturnValue:
    try:
        store_settings.save_branding(
            runtime().engine,
            store_id=current_store_id(),
            colour=_field("brand_colour"),
            logo_url=_field("logo_url"),
        )
    except store_settings.InvalidSetting as error:
        return _form("branding", 422, error=error)
    return _saved(".branding", "Branding")


@bp.get("/access")
def access() -> tuple[str, int]:
    return _form("access")


@bp.post("/access")
def save_access() -> ResponseReturnValue:
    try:
        store_settings.save_access(
            runtime().engine,
            store_id=current_store_id(),
            grace_days=_field("grace_days"),
            features=_field("features"),
        )
    except store_settings.InvalidAccessSetting as error:
        return _form("access", 422, error=error)
    return _saved(".access", "Access rules")


@bp.get("/retention")
def retention() -> tuple[str, int]:
    return _form("retention")

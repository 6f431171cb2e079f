"""Signing in and out of the admin.

Failed sign-ins are throttled per client and per email address (a success costs
nothing); the session starts afresh on success, so nothing from before carries over;
`next` only ever leads to an admin page on this site.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from shopsync.admin.users import authenticate
from shopsync.web.admin.guard import decorate_pages, runtime, safe_next
from shopsync.web.extensions import limiter

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
decorate_pages(bp)

FIELD_LIMIT = 1024
SIGNED_IN = 303


def _failed(response: Response) -> bool:
    return response.status_code != SIGNED_IN


def _email_key() -> str:
    address = request.form.get("email", "")[:FIELD_LIMIT].strip().lower()
    return "login-address:" + hashlib.sha256(address.encode()).hexdigest()[:32]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute;30 per hour", methods=["POST"], deduct_when=_failed)
@limiter.limit("10 per hour", key_func=_email_key, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    wanted = request.values.get("next", "")[:FIELD_LIMIT]
    if current_user.is_authenticated:
        return redirect(safe_next(wanted), code=303)
    if request.method == "GET":
        return render_template("admin/login.html", next=wanted)
    user = authenticate(
        runtime().engine,
        email=request.form.get("email", "")[:FIELD_LIMIT],
        password=request.form.get("password", "")[:FIELD_LIMIT],
    )
    if user is None:
        error = "That email and password do not match an account."
        return render_template("admin/login.html", next=wanted, error=error), 401
    session.clear()
    # Permanent: the cookie expires after PERMANENT_SESSION_LIFETIME without a visit.
    session.permanent = True
    login_user(user)
    return redirect(safe_next(wanted), code=SIGNED_IN)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for(".login"), code=303)


@bp.errorhandler(TooManyRequests)
def too_many(_error: TooManyRequests) -> tuple[str, int]:
    return render_template("admin/too_many.html"), 429

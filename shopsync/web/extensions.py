"""Flask extensions the pages use: sessions, CSRF and rate limits, set up per app.

- Flask-Login keeps the admin's session: a signed cookie (HttpOnly, SameSite=Lax, Secure
  whenever the site is served over https) naming the user and their password's
  fingerprint, so a new password ends every other session.
- Flask-WTF's CSRFProtect checks every POST, PUT, PATCH and DELETE, except on the
  blueprints machines call with their own credentials (webhooks: signatures; the API: a
  bearer key), where a browser's cookies prove nothing.
- Flask-Limiter counts in the app's Redis (in memory when the app has none, and when
  Redis fails, so a sick Redis never takes the pages down).

The extension objects are module-level, as Flask extensions are, so route decorators can
name them; each keeps the settings of the last app it was initialised with, which is
the one app of a gunicorn worker.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from shopsync.admin.users import AdminIdentity, load_identity
from shopsync.runtime import Runtime
from shopsync.web.state import app_state

# Machines sign (webhooks) or carry a bearer key (api): CSRF does not apply to them.
CSRF_EXEMPT_BLUEPRINTS = ("webhooks", "api")
SESSION_LIFETIME = timedelta(hours=12)
LIMITS_PREFIX = "shopsync-limits"


def client_address() -> str:
    """The client's address, for per-client limits.

    In production the app runs behind one router (Heroku's) that appends the address it
    saw to X-Forwarded-For; the last entry is the one a client cannot forge.
    """
    if app_state().runtime.settings.is_production:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.remote_addr or "unknown"


login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)


def init_extensions(app: Flask, runtime: Runtime) -> None:
    """Configure and attach the extensions; call after the blueprints are registered."""
    settings = runtime.settings
    app.config.update(
        SESSION_COOKIE_NAME="shopsync_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production or settings.public_url.startswith("https:"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # The token lives as long as the session: a form left open for an hour still works.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=limiter_storage_uri(settings.redis_url),
        RATELIMIT_STORAGE_OPTIONS=_limiter_storage_options(settings.redis_url),
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_KEY_PREFIX=LIMITS_PREFIX,
    )
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    csrf.init_app(app)
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    limiter.init_app(app)


def _load_user(session_id: str) -> AdminIdentity | None:
    return load_identity(app_state().runtime.engine, session_id)


def limiter_storage_uri(redis_url: str | None) -> str:
    """The app's Redis in the `limits` library's spelling (it wants redis+unix://)."""
    if redis_url is None:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _limiter_storage_options(redis_url: str | None) -> dict[str, object]:
    if redis_url is None:
        return {}
    # Short timeouts, as for the app's own client: a limit check must not hang a page.
    options: dict[str, object] = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}
    if redis_url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None  # Heroku Redis' self-signed certificate
    return options

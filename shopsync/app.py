"""The Flask application factory."""

from __future__ import annotations

from flask import Flask

from shopsync import bootstrap, web
from shopsync.config import Settings
from shopsync.web.extensions import init_extensions
from shopsync.web.security import install_response_headers
from shopsync.web.state import install


def create_app(settings: Settings | None = None) -> Flask:
    """Build an app for `settings` (the environment's when None)."""
    runtime = bootstrap.start(settings)
    settings = runtime.settings
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    install(app, runtime)
    web.register_blueprints(app)
    web.register_error_handlers(app)
    init_extensions(app, runtime)
    install_response_headers(app, production=settings.is_production)
    return app

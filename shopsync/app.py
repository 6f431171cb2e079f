"""The Flask application factory."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from shopsync.config import Settings
from shopsync.endpoints import EndpointDirectory
from shopsync.logs import configure_logging
from shopsync.runtime import Runtime, activate

EXTENSION_KEY = "shopsync"


@dataclass
class AppState:
    runtime: Runtime
    directory: EndpointDirectory


def create_app(settings: Settings | None = None) -> Flask:
    """Build an app for `settings` (the environment's when None)."""
    from handlers import load_all  # the registry is filled once, at start-up
    from shopsync import web

    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    load_all()
    rt = activate(Runtime(settings))
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_body_bytes)
    app.extensions[EXTENSION_KEY] = AppState(
        runtime=rt, directory=EndpointDirectory(rt.engine, rt.vault)
    )
    web.register_blueprints(app)
    web.register_error_handlers(app)
    return app


def app_state() -> AppState:
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state

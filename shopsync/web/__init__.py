"""HTTP: one blueprint per module."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from shopsync.errors import describe_error

log = logging.getLogger(__name__)


# Paths machines call: their errors are JSON, like their answers.
JSON_PATHS = ("/api/", "/webhooks/")


def register_error_handlers(app: Flask) -> None:
    """Unexpected errors: a short answer, and a log line without message or stack trace."""

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[dict[str, str], int] | HTTPException:
        if isinstance(error, HTTPException):
            return error
        log.error("%s %s failed: %s", request.method, request.url_rule, describe_error(error))
        return {"error": "internal error"}, 500

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if not request.path.startswith(JSON_PATHS) or error.code is None:
            return error
        message = (error.name or "error").lower()
        response = jsonify(error=message)
        response.status_code = error.code
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response


def register_blueprints(app: Flask) -> None:
    from shopsync.web import admin, api, health, home, metrics, status_page, templating, webhooks

    app.register_blueprint(home.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(templating.bp)
    app.register_blueprint(status_page.bp)
    admin.register(app)

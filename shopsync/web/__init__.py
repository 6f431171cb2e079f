"""HTTP: one blueprint per module."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from shopsync.web import api, health, metrics, webhooks

    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)

"""`/`: a small page saying what this service is and where to look next."""

from __future__ import annotations

from flask import Blueprint, render_template

from shopsync.web.state import app_state

bp = Blueprint("home", __name__)


@bp.get("/")
def home() -> str:
    """Static apart from the providers this instance accepts; no data, no login."""
    from shopsync.pipeline.registry import registry

    providers = sorted(registry.providers.values(), key=lambda p: p.name)
    return render_template(
        "home.html", providers=providers, public_url=app_state().runtime.settings.public_url
    )

"""The store's read API: `Authorization: Bearer <store API key>`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shopsync.orders.views import order_document
from shopsync.stores.provisioning import store_for_api_key
from shopsync.web.state import app_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

UNAUTHORIZED = ({"error": "missing or invalid API key"}, 401, {"WWW-Authenticate": "Bearer"})


@bp.get("/orders/<path:external_id>")
def get_order(external_id: str) -> Any:
    """One order with its payment, shipments and timeline; another store's is a 404."""
    store_id = _authenticated_store_id()
    if store_id is None:
        return UNAUTHORIZED
    document = order_document(
        app_state().runtime.engine, store_id=store_id, external_id=external_id
    )
    if document is None:
        return {"error": "order not found"}, 404
    return document, 200


def _authenticated_store_id() -> int | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    store = store_for_api_key(app_state().runtime.engine, token.strip())
    return None if store is None else store.id

"""The store's read API: `Authorization: Bearer <store API key>` (orders, access)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shopsync.clock import utcnow
from shopsync.orders.views import order_document
from shopsync.stores.provisioning import store_id_for_api_key
from shopsync.subscriptions.queries import BadLookup, access_answer, lookup_for
from shopsync.web.state import app_state

bp = Blueprint("api", __name__, url_prefix="/api/v1")

UNAUTHORIZED = ({"error": "missing or invalid API key"}, 401, {"WWW-Authenticate": "Bearer"})


@bp.get("/orders/<path:external_id>")
def get_order(external_id: str) -> Any:
    """One order with its payment, shipments and timeline; another store's is a 404."""
    store_id = authenticated_store_id()
    if store_id is None:
        return UNAUTHORIZED
    document = order_document(
        app_state().runtime.engine, store_id=store_id, external_id=external_id
    )
    if document is None:
        return {"error": "order not found"}, 404
    return document, 200


def authenticated_store_id() -> int | None:
    """The store whose API key the request carries, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return store_id_for_api_key(app_state().runtime.engine, token.strip())


@bp.get("/access")
def get_access() -> Any:
    """`?email=` or `?customer=cus_...`: {access, status, plan, features, until, grace_until}."""
    store_id = authenticated_store_id()
    if store_id is None:
        return UNAUTHORIZED
    try:
        lookup = lookup_for(email=request.args.get("email"), customer=request.args.get("customer"))
    except BadLookup as error:
        return {"error": str(error)}, 400
    engine = app_state().runtime.engine
    return access_answer(engine, store_id=store_id, lookup=lookup, now=utcnow()), 200

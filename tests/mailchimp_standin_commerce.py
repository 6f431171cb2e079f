"""What the Mailchimp stand-in answers for shopsync's outbound calls: audience writes and
the e-commerce API, as Mailchimp documents them.

Added to a `MailchimpStandIn` with `standin.add_routes(OUTBOUND_ROUTES)`. Behaviour kept
from the real API, because shopsync's rules depend on it:
- PUT member: `status_if_new` applies only to an address not in the audience; an
  existing member keeps its status unless the body says `status`.
- An e-commerce customer with `opt_in_status: false` that is not a member becomes a
  `transactional` contact (never subscribed); an existing member is left as it is.
- Adding a store, product or order whose id exists is a 400; an order whose products do
  not exist is a 400; an order without lines is a 404 (as Mailchimp answers it).
- Events and tags for an address that is not a member: 404.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from tests.api_standin import ApiCall
from tests.mailchimp_standin import (
    Answer,
    Handler,
    MailchimpStandIn,
    Route,
    not_found,
    problem,
    subscriber_hash,
)

OUTBOUND_ROUTES: list[Route] = []
MEMBER = r"/lists/(?P<list_id>[^/]+)/members/(?P<hash>[^/]+)"
STORE = r"/ecommerce/stores/(?P<store_id>[^/]+)"
# Enough of ISO 4217 for the tests; Mailchimp refuses a code that is not one.
CURRENCIES = frozenset({"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "SEK", "USD"})


def _on(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        OUTBOUND_ROUTES.append((method, re.compile(pattern), handler))
        return handler

    return register


def stores(standin: MailchimpStandIn) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = standin.state.setdefault("stores", {})
    return found


def events(standin: MailchimpStandIn) -> list[tuple[str, dict[str, Any]]]:
    """(subscriber hash, event body) of every member event received."""
    found: list[tuple[str, dict[str, Any]]] = standin.state.setdefault("events", [])
    return found


def invalid(detail: str) -> Answer:
    return problem(400, "Invalid Resource", detail)


def _body(call: ApiCall) -> dict[str, Any]:
    """A copy of the request's JSON object: what is kept must not change what was recorded."""
    return copy.deepcopy(call.body) if isinstance(call.body, dict) else {}


def _member_of(standin: MailchimpStandIn, found: re.Match[str]) -> dict[str, Any] | None:
    return standin.members.get((found["list_id"], found["hash"].lower()))


@_on("PUT", MEMBER)
def _put_member(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    body = _body(call)
    email = body.get("email_address")
    if found["list_id"] not in standin.audiences or not isinstance(email, str):
        return not_found() if found["list_id"] not in standin.audiences else invalid("email")
    member = _member_of(standin, found)
    if member is None:
        status = body.get("status") or body.get("status_if_new")
        if status not in ("subscribed", "pending", "unsubscribed", "transactional", "cleaned"):
            return invalid("The resource submitted could not be validated.")
        member = standin.set_member(email, status, audience_id=found["list_id"])
    elif body.get("status"):
        member["status"] = body["status"]
    member["merge_fields"].update(body.get("merge_fields") or {})
    return 200, member


@_on("PATCH", MEMBER)
def _patch_member(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    member = _member_of(standin, found)
    if member is None:
        return not_found()
    if _body(call).get("status"):
        member["status"] = _body(call)["status"]
    return 200, member


@_on("POST", MEMBER + r"/events")
def _event(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    if _member_of(standin, found) is None:
        return not_found()
    name = _body(call).get("name")
    if not isinstance(name, str) or not 2 <= len(name) <= 30:
        return invalid("name must be 2-30 characters")
    events(standin).append((found["hash"], _body(call)))
    return 204, None


@_on("POST", MEMBER + r"/tags")
def _tags(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    member = _member_of(standin, found)
    if member is None:
        return not_found()
    tags = {t["name"] for t in member["tags"]}
    for tag in _body(call).get("tags") or []:
        if tag.get("status") == "active":
            tags.add(tag["name"])
        else:
            tags.discard(tag["name"])
    member["tags"] = [{"id": i, "name": name} for i, name in enumerate(sorted(tags))]
    return 204, None


@_on("POST", r"/ecommerce/stores")
def _add_store(standin: MailchimpStandIn, call: ApiCall, _found: re.Match[str]) -> Answer:
    body = _body(call)
    if body.get("list_id") not in standin.audiences:
        return invalid("list_id")
    if body.get("id") in stores(standin):
        return problem(400, "Bad Request", "A store with the provided ID already exists.")
    missing = [k for k in ("id", "name", "currency_code") if not body.get(k)]
    if missing:
        return invalid(f"Required fields were not provided: {', '.join(missing)}")
    if body["currency_code"] not in CURRENCIES:
        return invalid("currency_code is not a valid ISO 4217 currency code")
    store = {**body, "customers": {}, "products": {}, "orders": {}}
    stores(standin)[body["id"]] = store
    return 200, _public(store)


@_on("GET", STORE)
def _get_store(standin: MailchimpStandIn, _call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    return (200, _public(store)) if store else not_found()


@_on("PUT", STORE + r"/customers/(?P<customer_id>[^/]+)")
def _put_customer(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    body = _body(call)
    if store is None:
        return not_found()
    if not body.get("email_address") or "opt_in_status" not in body:
        return invalid("Required fields were not provided: email_address, opt_in_status")
    store["customers"][found["customer_id"]] = body
    key = (store["list_id"], subscriber_hash(body["email_address"]))
    if key not in standin.members:
        status = "subscribed" if body["opt_in_status"] else "transactional"
        standin.set_member(body["email_address"], status, audience_id=store["list_id"])
    return 200, body


@_on("PATCH", STORE + r"/products/(?P<product_id>[^/]+)")
def _patch_product(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    product = store["products"].get(found["product_id"]) if store else None
    if product is None:
        return not_found()
    product.update(_body(call))
    return 200, product


@_on("POST", STORE + r"/products")
def _add_product(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    body = _body(call)
    if store is None:
        return not_found()
    if body.get("id") in store["products"]:
        return problem(400, "Bad Request", "A product with the provided ID already exists.")
    if not body.get("title") or not body.get("variants"):
        return invalid("Required fields were not provided: title, variants")
    store["products"][body["id"]] = body
    return 200, body


@_on("GET", STORE + r"/orders/(?P<order_id>[^/]+)")
def _get_order(standin: MailchimpStandIn, _call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    order = store["orders"].get(found["order_id"]) if store else None
    return (200, order) if order else not_found()


@_on("POST", STORE + r"/orders")
def _add_order(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    body = _body(call)
    if store is None or not body.get("lines"):
        return not_found()
    if body.get("id") in store["orders"]:
        return problem(400, "Bad Request", "An order with the provided ID already exists.")
    unknown = [
        line["product_id"]
        for line in body["lines"]
        if line.get("product_id") not in store["products"]
    ]
    if unknown:
        return problem(400, "Bad Request", "A product with the provided ID does not exist.")
    store["orders"][body["id"]] = body
    return 200, body


@_on("PATCH", STORE + r"/orders/(?P<order_id>[^/]+)")
def _patch_order(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    store = stores(standin).get(found["store_id"])
    order = store["orders"].get(found["order_id"]) if store else None
    if order is None:
        return not_found()
    order.update(_body(call))
    return 200, order


def _public(store: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in store.items() if k not in ("customers", "products", "orders")}

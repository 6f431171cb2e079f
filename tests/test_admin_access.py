"""Who may reach what: every admin route refuses strangers, every form needs its CSRF
token, and a user of one store never sees or touches another store's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.routing import Rule

from shopsync.models import OutboxMessage, Store, StoreSubscriber, WebhookEvent
from shopsync.runtime import Runtime
from tests.pages import add_admin, csrf_token, place_order, sign_in, subscribe, text_of
from tests.support import StoreFixture, make_store

# A port nothing listens on: deliveries fail at once and stay in the outbox.
NOWHERE = "http://127.0.0.1:9/hooks"
METHODS = ("GET", "POST")


@dataclass(frozen=True)
class StoreRows:
    store: StoreFixture
    order_id: int
    token: str
    event_id: int
    message_id: int
    subscriber_id: int
    customer_id: int

    def url_values(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "event_id": self.event_id,
            "message_id": self.message_id,
            "subscriber_id": self.subscriber_id,
            "customer_id": self.customer_id,
            "token": self.token,
            "action": "disable",
            "mode": "test",
            "choice": "off",
        }


def rows_of(client: FlaskClient, rt: Runtime, name: str, order_id: str) -> StoreRows:
    store = make_store(rt, name=name)
    subscriber = subscribe(rt, store, NOWHERE)
    order = place_order(client, rt, store, order_id)
    with Session(rt.engine) as session:
        event = session.exec(select(WebhookEvent).where(WebhookEvent.store_id == store.id)).one()
        message = session.exec(
            select(OutboxMessage).where(OutboxMessage.store_id == store.id)
        ).first()
    assert order.id and event.id and message and message.id and order.customer_id
    return StoreRows(
        store,
        order.id,
        order.public_token,
        event.id,
        message.id,
        subscriber.id,
        order.customer_id,
    )


@pytest.fixture
def shop_a(client: FlaskClient, runtime: Runtime) -> StoreRows:
    return rows_of(client, runtime, "Shop A", "A-1")


@pytest.fixture
def shop_b(client: FlaskClient, runtime: Runtime) -> StoreRows:
    return rows_of(client, runtime, "Shop B", "B-1")


def snapshot(rt: Runtime) -> list[Any]:
    """Everything a stray POST could change."""
    with Session(rt.engine) as session:
        return [
            sorted((e.id, e.status, e.attempts) for e in session.exec(select(WebhookEvent))),
            sorted((m.id, m.status, m.attempts) for m in session.exec(select(OutboxMessage))),
            sorted(
                (s.id, s.enabled, s.secrets_encrypted)
                for s in session.exec(select(StoreSubscriber))
            ),
            sorted((s.id, s.name, s.livemode) for s in session.exec(select(Store))),
        ]


def rules(app: Flask, prefix: str = "") -> list[Rule]:
    found = [r for r in app.url_map.iter_rules() if r.rule.startswith(prefix)]
    return sorted(found, key=lambda r: r.rule)


def url_for_rule(app: Flask, rule: Rule, values: dict[str, Any]) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})


def test_every_admin_route_sends_strangers_to_sign_in(
    app: Flask, client: FlaskClient, runtime: Runtime, shop_a: StoreRows
) -> None:
    before = snapshot(runtime)
    walked = 0
    endpoints: set[str] = set()
    for rule in rules(app, "/admin"):
        if rule.endpoint == "admin_auth.login":
            continue
        url = url_for_rule(app, rule, shop_a.url_values())
        for method in METHODS:
            if method not in (rule.methods or ()):
                continue
            # A stranger's own valid token: CSRF is not what stops them.
            token = csrf_token(client)
            data = {"csrf_token": token, "store_id": shop_a.store.id, "name": "x"}
            response = client.open(url, method=method, data=data if method == "POST" else None)
            assert response.status_code == 303, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/admin/login"), (method, url)
            walked += 1
            endpoints.add(rule.endpoint)
    assert walked >= 20
    # The connections, customers and settings pages are in the walk, every route of them.
    for family in ("admin_connections.", "admin_customers.", "admin_stores.settings_pages."):
        assert {r.endpoint for r in rules(app) if r.endpoint.startswith(family)} <= endpoints
    assert "admin_connections.stripe.connect" in endpoints
    assert snapshot(runtime) == before


def test_every_form_without_its_csrf_token_is_refused(
    app: Flask, client: FlaskClient, runtime: Runtime, shop_a: StoreRows
) -> None:
    add_admin(runtime)
    sign_in(client)
    before = snapshot(runtime)
    posts = [
        rule
        for rule in rules(app)
        if "POST" in (rule.methods or ()) and not rule.endpoint.startswith(("webhooks.", "api."))
    ]
    assert len(posts) >= 15
    for rule in posts:
        url = url_for_rule(app, rule, shop_a.url_values())
        data = {"store_id": shop_a.store.id, "name": "Renamed", "url": NOWHERE, "password": "x"}
        response = client.post(url, data=data)
        assert response.status_code == 400, (url, response.status_code)
        assert "can&#39;t be used" in text_of(response) or "try again" in text_of(response)
    assert snapshot(runtime) == before
    assert client.get("/admin/").status_code == 200  # signing out needed its token too

    # With the token the same requests get past the check (what they then do varies);
    # signing out goes last, since it ends the session the token belongs to.
    token = csrf_token(client, "/admin/")
    for rule in sorted(posts, key=lambda r: r.endpoint == "admin_auth.logout"):
        url = url_for_rule(app, rule, shop_a.url_values())
        response = client.post(url, data={"csrf_token": token, "store_id": shop_a.store.id})
        assert response.status_code != 400, url


def test_a_user_of_one_store_cannot_reach_another_stores_rows_by_id(
    client: FlaskClient, runtime: Runtime, shop_a: StoreRows, shop_b: StoreRows
) -> None:
    add_admin(runtime, "a@example.com", stores=[shop_a.store.id])
    sign_in(client, "a@example.com")
    before = snapshot(runtime)
    token = csrf_token(client, "/admin/")

    for path in (
        f"/admin/orders/{shop_b.order_id}",
        f"/admin/events/{shop_b.event_id}",
        f"/admin/outbox/{shop_b.message_id}",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/admin/events/{shop_b.event_id}/replay",
        f"/admin/outbox/{shop_b.message_id}/replay",
        f"/admin/subscribers/{shop_b.subscriber_id}/disable",
        f"/admin/subscribers/{shop_b.subscriber_id}/roll",
        f"/admin/subscribers/{shop_b.subscriber_id}/reveal",
        f"/admin/subscribers/{shop_b.subscriber_id}/test",
        f"/admin/subscribers/{shop_b.subscriber_id}/remove",
    ):
        response = client.post(path, data={"csrf_token": token, "password": "a long test password"})
        assert response.status_code == 404, path
    switched = client.post(
        "/admin/stores/switch", data={"csrf_token": token, "store_id": shop_b.store.id}
    )
    assert switched.status_code == 404
    assert snapshot(runtime) == before

    pages = [text_of(client.get(p)) for p in ("/admin/orders", "/admin/events", "/admin/outbox")]
    pages.append(text_of(client.get("/admin/subscribers")))
    pages.append(text_of(client.get("/admin/")))
    assert all("Shop B" not in page and "B-1" not in page for page in pages)
    assert f'/admin/events/{shop_b.event_id}"' not in pages[1]
    assert "#A-1" in pages[0]
    assert client.get("/admin/stores/new").status_code == 403  # only owners add stores


def test_an_owner_switches_between_stores_from_the_header(
    client: FlaskClient, runtime: Runtime, shop_a: StoreRows, shop_b: StoreRows
) -> None:
    add_admin(runtime)
    sign_in(client)
    assert "#A-1" in text_of(client.get("/admin/orders"))  # the first store to begin with
    assert client.get(f"/admin/orders/{shop_b.order_id}").status_code == 404

    response = client.post(
        "/admin/stores/switch",
        data={
            "csrf_token": csrf_token(client, "/admin/"),
            "store_id": shop_b.store.id,
            "next": "/admin/orders",
        },
    )
    assert response.headers["Location"] == "/admin/orders"
    orders = text_of(client.get("/admin/orders"))
    assert "#B-1" in orders and "#A-1" not in orders
    assert client.get(f"/admin/orders/{shop_b.order_id}").status_code == 200
    assert client.get(f"/admin/orders/{shop_a.order_id}").status_code == 404


def test_a_user_without_a_store_is_told_so(client: FlaskClient, runtime: Runtime) -> None:
    add_admin(runtime, "lonely@example.com", stores=[])
    sign_in(client, "lonely@example.com")
    response = client.get("/admin/")
    assert response.status_code == 409
    assert "linked to a store" in text_of(response)

"""Helpers for page tests: admin users, signing in with the CSRF token, orders to show."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from handlers.standard import samples as standard
from shopsync.admin.users import create_user
from shopsync.models import Order
from shopsync.outbox.http import TargetPolicy
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from shopsync.stores.subscribers import NewSubscriber
from tests.support import StoreFixture, deliver, work_queue

PASSWORD = "a long test password"
OWNER = "owner@example.com"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_admin(
    rt: Runtime, email: str = OWNER, *, stores: list[int] | None = None, password: str = PASSWORD
) -> str:
    """An admin user (of every store unless `stores`); returns the email."""
    create_user(rt.engine, email=email, password=password, store_ids=stores)
    return email


def csrf_token(client: FlaskClient, path: str = "/admin/login") -> str:
    """The token a page's forms carry, read from the page as a browser would."""
    found = TOKEN_FIELD.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(
    client: FlaskClient, email: str = OWNER, password: str = PASSWORD, next_url: str = ""
) -> TestResponse:
    return client.post(
        "/admin/login",
        data={
            "email": email,
            "password": password,
            "next": next_url,
            "csrf_token": csrf_token(client),
        },
    )


def post_form(client: FlaskClient, path: str, **fields: Any) -> TestResponse:
    """POST a form with a valid CSRF token, as the admin's own pages do."""
    return client.post(path, data={**fields, "csrf_token": csrf_token(client, "/admin/")})


def place_order(
    client: FlaskClient,
    rt: Runtime,
    store: StoreFixture,
    order_id: str,
    *,
    payment_status: str = "paid",
    **fields: Any,
) -> Order:
    """A signed Standard Webhooks `order.created`, worked by a real RQ worker."""
    data = standard.order(order_id, payment_status=payment_status, **fields)
    response = deliver(client, store, "standard", standard.event("order.created", data))
    assert response.status_code == 200, response.get_data(as_text=True)
    work_queue(rt)
    found = find_order(rt, store.id, order_id)
    assert found is not None
    return found


def ship(
    client: FlaskClient, rt: Runtime, store: StoreFixture, order_id: str, **fields: Any
) -> None:
    data = standard.shipment(order_id, **fields)
    response = deliver(client, store, "standard", standard.event("shipment.created", data))
    assert response.status_code == 200
    work_queue(rt)


def subscribe(rt: Runtime, store: StoreFixture, url: str, *events: str) -> NewSubscriber:
    """A subscriber of the store's order webhooks (all of them unless `events`)."""
    return subscribers.add_subscriber(
        rt.engine,
        rt.vault,
        store_id=store.id,
        url=url,
        event_types=events or ("*",),
        policy=TargetPolicy.ANY,
    )


def find_order(rt: Runtime, store_id: int, external_id: str) -> Order | None:
    with Session(rt.engine) as session:
        return session.exec(
            select(Order).where(Order.store_id == store_id, Order.external_id == external_id)
        ).first()


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)

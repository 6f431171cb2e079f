"""A real subscription lifecycle from localstripe: its own signed webhooks, into gunicorn.

localstripe (a stateful fake Stripe) runs as a subprocess on a free loopback port and
sends its webhooks, signed with the store's secret, to shopsync served by gunicorn. It
speaks the 2017 API (plans, top-level periods and `subscription`) and knows creation and
cancellation, not renewals: the other stages are covered with hand-built events.
"""

from __future__ import annotations

import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
import stripe
from flask.testing import FlaskClient
from sqlmodel import Session, select

from shopsync.models import WebhookEvent
from shopsync.runtime import Runtime
from tests.processes import Process, free_port, gunicorn, http_status, wait_until
from tests.support import StoreFixture, make_store, work_queue

pytestmark = pytest.mark.slow
API_KEY = "sk_test_localstripe_12345"
LAUNCH = (
    "import sys; from aiohttp import web; from localstripe.server import app; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


@pytest.fixture
def localstripe_base() -> Iterator[str]:
    """localstripe from scratch (its saved state is never loaded), on loopback only."""
    port = free_port()
    with Process([sys.executable, "-c", LAUNCH, str(port)], {}):
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_status(base + "/v1/customers") == 401, what="localstripe")
        yield base


@pytest.fixture
def shopsync_base(environ: dict[str, str], tmp_path: object) -> Iterator[str]:
    process, base = gunicorn(environ, workers=1)
    with process:
        yield base


def configure_webhook(localstripe: str, url: str, secret: str) -> None:
    data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
    request = urllib.request.Request(f"{localstripe}/_config/webhooks/shopsync", data=data)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def event_types(rt: Runtime) -> list[str]:
    with Session(rt.engine) as session:
        return list(session.exec(select(WebhookEvent.event_type)))


def test_a_localstripe_subscription_grants_access_and_its_cancellation_revokes_it(
    runtime: Runtime, client: FlaskClient, localstripe_base: str, shopsync_base: str
) -> None:
    store: StoreFixture = make_store(runtime, name="Localstripe", livemode=False)
    hook = shopsync_base + store.path("stripe")
    configure_webhook(localstripe_base, hook, store.secret("stripe"))
    api = stripe.StripeClient(API_KEY, base_addresses={"api": localstripe_base})

    customer = api.v1.customers.create({"email": "ada@example.com", "name": "Ada"})
    product = api.v1.products.create({"name": "Pro"})
    api.v1.plans.create(
        {
            "id": "pro-plan",
            "amount": 1000,
            "currency": "usd",
            "interval": "month",
            "product": product.id,
        }
    )
    card = api.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    api.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    subscription = api.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"plan": "pro-plan"}]}
    )

    wanted = {"customer.subscription.created", "invoice.payment_succeeded"}
    wait_until(
        lambda: wanted <= set(event_types(runtime)), timeout=20, what="localstripe's webhooks"
    )
    work_queue(runtime)
    auth = {"Authorization": f"Bearer {store.api_key}"}
    answer = client.get(f"/api/v1/access?customer={customer.id}", headers=auth).get_json()
    assert answer["access"] is True and answer["status"] == "active"
    assert answer["plan"] == "pro-plan" and answer["features"] == ["pro-plan"]

    api.v1.subscriptions.cancel(subscription.id)
    wait_until(
        lambda: "customer.subscription.deleted" in event_types(runtime),
        timeout=20,
        what="the cancellation",
    )
    time.sleep(0.2)
    work_queue(runtime)
    answer = client.get("/api/v1/access?email=ada@example.com", headers=auth).get_json()
    assert answer["access"] is False and answer["status"] == "canceled"

"""`shopsync stripe connect/status/roll-secret/disconnect` against a stand-in Stripe API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from handlers.stripe.provider import EVENT_TYPES
from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.config import Settings
from shopsync.connections.jobs import services
from shopsync.connections.stripe import finish_roll
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.billing import Billing, ago
from tests.stripe_standin import StripeStandIn
from tests.support import StoreFixture, deliver, make_store


@pytest.fixture
def stripe_environ(environ: dict[str, str], stripe_api: StripeStandIn) -> dict[str, str]:
    return {**environ, "STRIPE_API_BASE": stripe_api.base, "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def app(stripe_environ: dict[str, str]) -> Iterator[Flask]:
    application = create_app(Settings.from_env(stripe_environ))
    yield application
    with application.app_context():
        app_state().runtime.close()


@pytest.fixture
def test_store(runtime: Runtime) -> StoreFixture:
    return make_store(runtime, name="Subscriptions", livemode=False)


def run(environ: dict[str, str], *args: Any) -> Result:
    return CliRunner(env=environ).invoke(cli, [str(a) for a in args])


def test_connect_registers_the_endpoint_and_keeps_its_secret(
    stripe_environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_store: StoreFixture,
    client: FlaskClient,
    runtime: Runtime,
) -> None:
    result = run(
        stripe_environ, "stripe", "connect", test_store.id, "--api-key", stripe_api.api_key
    )
    assert result.exit_code == 0, result.output
    assert "connected to Stripe (test mode)" in result.output and "acct_standin01" in result.output
    created = [c for c in stripe_api.calls if c.path == "/v1/webhook_endpoints"]
    assert len(created) == 1 and created[0].idempotency_key
    form = created[0].form
    assert form["url"] == [test_store.url("stripe")]
    events = sorted(v for k, vs in form.items() if k.startswith("enabled_events") for v in vs)
    assert events == sorted(EVENT_TYPES)
    assert form["api_version"] == ["2026-10-28.endive"]
    assert stripe_api.api_key not in result.output

    # Stripe signs with the secret it returned; deliveries signed so now verify.
    app_state_directory(client).forget()
    endpoint = next(iter(stripe_api.endpoints.values()))
    billing = Billing(client, test_store, runtime)
    response = deliver(
        client,
        test_store,
        "stripe",
        billing.snapshot("created", ago(days=1)),
        secret=endpoint["secret"],
    )
    assert response.status_code == 200
    stale = deliver(client, test_store, "stripe", billing.snapshot("created", ago(days=1)))
    assert stale.status_code == 400  # the generated secret is no longer accepted

    status = run(stripe_environ, "stripe", "status", test_store.id)
    assert endpoint["id"] in status.output


def test_a_connect_interrupted_after_stripe_created_the_endpoint_gets_the_same_one_back(
    stripe_environ: dict[str, str], stripe_api: StripeStandIn, test_store: StoreFixture
) -> None:
    stripe_api.drop_after_create = 2  # the first try and the SDK's retry both lose the answer
    first = run(stripe_environ, "stripe", "connect", test_store.id, "--api-key", stripe_api.api_key)
    assert first.exit_code == 1 and "Stripe did not answer" in first.output
    second = run(
        stripe_environ, "stripe", "connect", test_store.id, "--api-key", stripe_api.api_key
    )
    assert second.exit_code == 0, second.output
    assert len(stripe_api.endpoints) == 1
    keys = {c.idempotency_key for c in stripe_api.calls if c.path == "/v1/webhook_endpoints"}
    assert len(keys) == 1


def test_wrong_keys_and_modes_are_refused_in_one_line_and_change_nothing(
    stripe_environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_store: StoreFixture,
    store: StoreFixture,
) -> None:
    wrong = run(
        stripe_environ, "stripe", "connect", test_store.id, "--api-key", "sk_test_" + "x" * 24
    )
    assert wrong.exit_code == 1 and wrong.output.strip().endswith(
        "Stripe refused the API key (401)"
    )
    shape = run(stripe_environ, "stripe", "connect", test_store.id, "--api-key", "pk_test_abc")
    assert shape.exit_code == 1 and "sk_test_" in shape.output
    live = run(stripe_environ, "stripe", "connect", store.id, "--api-key", stripe_api.api_key)
    assert live.exit_code == 1 and "is live and this is a test key" in live.output
    assert stripe_api.endpoints == {}
    assert "not connected" in run(stripe_environ, "stripe", "status", test_store.id).output


def test_rolling_the_secret_accepts_both_for_a_day_then_deletes_the_old_endpoint(
    stripe_environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_store: StoreFixture,
    client: FlaskClient,
    runtime: Runtime,
) -> None:
    assert (
        run(
            stripe_environ, "stripe", "connect", test_store.id, "--api-key", stripe_api.api_key
        ).exit_code
        == 0
    )
    ((old_id, old),) = stripe_api.endpoints.items()
    rolled = run(stripe_environ, "stripe", "roll-secret", test_store.id)
    assert rolled.exit_code == 0, rolled.output
    new = next(e for i, e in stripe_api.endpoints.items() if i != old_id)
    app_state_directory(client).forget()
    billing = Billing(client, test_store, runtime)
    for secret in (old["secret"], new["secret"]):
        event = billing.snapshot("created", ago(days=1))
        assert deliver(client, test_store, "stripe", event, secret=secret).status_code == 200

    with app_state_ctx(client):
        assert finish_roll(services(), store_id=test_store.id, livemode=False) == old_id
    assert list(stripe_api.endpoints) == [new["id"]]
    app_state_directory(client).forget()
    event = billing.snapshot("created", ago(days=1))
    assert deliver(client, test_store, "stripe", event, secret=old["secret"]).status_code == 400

    gone = run(stripe_environ, "stripe", "disconnect", test_store.id)
    assert gone.exit_code == 0 and stripe_api.endpoints == {}
    deletes = [c for c in stripe_api.calls if c.method == "DELETE"]
    assert len(deletes) == 2


def test_with_a_key_connected_a_conflicting_snapshot_is_settled_by_reading_stripe(
    stripe_environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_store: StoreFixture,
    client: FlaskClient,
    runtime: Runtime,
) -> None:
    assert (
        run(
            stripe_environ, "stripe", "connect", test_store.id, "--api-key", stripe_api.api_key
        ).exit_code
        == 0
    )
    endpoint = next(iter(stripe_api.endpoints.values()))
    app_state_directory(client).forget()
    billing = Billing(client, test_store, runtime, livemode=False)

    def send(event: dict[str, Any]) -> None:
        from tests.support import work_queue

        assert (
            deliver(client, test_store, "stripe", event, secret=endpoint["secret"]).status_code
            == 200
        )
        work_queue(runtime)

    at = ago(days=1)
    send(
        billing.invoice("invoice.paid", at, invoice_id="in_1", billing_reason="subscription_create")
    )
    send(billing.snapshot("created", at))
    # Two snapshots of the same second say different things; Stripe knows which is true.
    canceled = billing.snapshot("deleted", at, status="canceled")
    stripe_api.subscriptions[billing.subscription] = canceled["data"]["object"]
    send(billing.snapshot("updated", at))
    assert [c.path for c in stripe_api.calls if c.method == "GET"][
        -1
    ] == f"/v1/subscriptions/{billing.subscription}"
    assert billing.answer()["status"] == "canceled"


def app_state_directory(client: FlaskClient) -> Any:
    assert isinstance(client.application, Flask)
    with client.application.app_context():
        return app_state().directory


class app_state_ctx:
    def __init__(self, client: FlaskClient) -> None:
        self.context = client.application.app_context()

    def __enter__(self) -> None:
        self.context.push()

    def __exit__(self, *_exc: object) -> None:
        self.context.pop()

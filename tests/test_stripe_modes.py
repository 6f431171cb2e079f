"""A store's test-mode and live-mode Stripe connections side by side, against a stand-in
Stripe API: each its own endpoint and secret, both verifying at the store's one URL."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlmodel import Session

from handlers.stripe import samples
from shopsync.cli import cli
from shopsync.models import StripeConnection
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.stripe_standin import StripeStandIn
from tests.support import StoreFixture, deliver


@pytest.fixture
def extra_environ(stripe_api: StripeStandIn) -> dict[str, str]:
    return {"STRIPE_API_BASE": stripe_api.base, "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}


def run(environ: dict[str, str], *args: Any) -> Result:
    return CliRunner(env=environ).invoke(cli, [str(a) for a in args])


def secret_of(stripe_api: StripeStandIn, *, live: bool) -> str:
    [endpoint] = [e for e in stripe_api.endpoints.values() if e["livemode"] is live]
    secret: str = endpoint["secret"]
    return secret


def accepted(client: FlaskClient, store: StoreFixture, secret: str, *, live: bool) -> bool:
    with client.application.app_context():
        app_state().directory.forget()  # secrets are cached for seconds; look again now
    event = samples.event("customer.created", {"id": "cus_1"}, livemode=live)
    return deliver(client, store, "stripe", event, secret=secret).status_code == 200


def test_a_store_in_test_mode_holds_a_test_and_a_live_connection(
    environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_mode_store: StoreFixture,
    client: FlaskClient,
    runtime: Runtime,
) -> None:
    store = test_mode_store
    assert (
        run(environ, "stripe", "connect", store.id, "--api-key", stripe_api.api_key).exit_code == 0
    )
    live = run(environ, "stripe", "connect", store.id, "--api-key", stripe_api.live_key)
    assert live.exit_code == 0, live.output
    assert "connected to Stripe (live mode)" in live.output
    test_secret, live_secret = secret_of(stripe_api, live=False), secret_of(stripe_api, live=True)
    assert accepted(client, store, test_secret, live=False)
    assert accepted(client, store, live_secret, live=True)

    status = run(environ, "stripe", "status", store.id).output
    assert "(live mode)" in status and "(test mode)" in status
    both = run(environ, "stripe", "disconnect", store.id)
    assert both.exit_code == 1 and "say which with --mode" in both.output

    gone = run(environ, "stripe", "disconnect", store.id, "--mode", "test")
    assert gone.exit_code == 0, gone.output
    assert [e["livemode"] for e in stripe_api.endpoints.values()] == [True]
    assert not accepted(client, store, test_secret, live=False)
    assert accepted(client, store, live_secret, live=True)
    with Session(runtime.engine) as session:
        assert session.get(StripeConnection, (store.id, False)) is None
        assert session.get(StripeConnection, (store.id, True)) is not None


def test_connecting_a_mode_twice_is_refused_and_a_roll_keeps_the_other_mode(
    environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_mode_store: StoreFixture,
    client: FlaskClient,
) -> None:
    store = test_mode_store
    for key in (stripe_api.api_key, stripe_api.live_key):
        assert run(environ, "stripe", "connect", store.id, "--api-key", key).exit_code == 0
    again = run(environ, "stripe", "connect", store.id, "--api-key", stripe_api.live_key)
    assert again.exit_code == 1 and "live mode already" in again.output

    test_secret = secret_of(stripe_api, live=False)
    old_live = secret_of(stripe_api, live=True)
    rolled = run(environ, "stripe", "roll-secret", store.id, "--mode", "live")
    assert rolled.exit_code == 0, rolled.output
    new_live = next(
        e["secret"]
        for e in stripe_api.endpoints.values()
        if e["livemode"] and e["secret"] != old_live
    )
    for secret, live in ((test_secret, False), (old_live, True), (new_live, True)):
        assert accepted(client, store, secret, live=live)

    finished = run(environ, "stripe", "roll-secret", store.id, "--mode", "live", "--finish")
    assert finished.exit_code == 0, finished.output
    assert not accepted(client, store, old_live, live=True)
    assert accepted(client, store, new_live, live=True)
    assert accepted(client, store, test_secret, live=False)


def test_disconnecting_the_last_connection_leaves_no_old_secret_verifying(
    environ: dict[str, str],
    stripe_api: StripeStandIn,
    test_mode_store: StoreFixture,
    client: FlaskClient,
) -> None:
    store = test_mode_store
    assert (
        run(environ, "stripe", "connect", store.id, "--api-key", stripe_api.api_key).exit_code == 0
    )
    secret = secret_of(stripe_api, live=False)
    assert run(environ, "stripe", "disconnect", store.id).exit_code == 0
    assert not accepted(client, store, secret, live=False)
    assert not accepted(client, store, store.secret("stripe"), live=False)

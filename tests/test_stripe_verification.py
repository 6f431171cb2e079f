"""Stripe deliveries are verified on the raw bytes; anything doubtful is refused and not stored."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from handlers.stripe import samples
from shopsync.runtime import Runtime
from tests.support import StoreFixture, body_of, deliver, events, json_body

ORDER = "1001"


def intent_event() -> dict[str, object]:
    return samples.event("payment_intent.succeeded", samples.payment_intent(ORDER, amount=2500))


def post_raw(
    client: FlaskClient, store: StoreFixture, body: bytes, header: str | None
) -> TestResponse:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post(store.path("stripe"), data=body, headers=headers)


def stripe_header(body: bytes, secret: str, timestamp: float) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(timestamp)
    )
    return header


def test_signed_delivery_is_recorded(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = deliver(client, store, "stripe", intent_event())
    assert response.status_code == 200
    assert response.json == {"status": "recorded"}
    [event] = events(runtime)
    assert (event.provider, event.event_type, event.status) == (
        "stripe",
        "payment_intent.succeeded",
        "received",
    )


def test_stored_payload_is_the_exact_signed_body(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = b'{"id": "evt_exact",   "type": "payment_intent.succeeded", "created": %d}' % time.time()
    assert deliver(client, store, "stripe", body).status_code == 200
    assert events(runtime)[0].payload == body.decode()


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", "t=,v1=", "v1=abc", "t=notanumber,v1=abc", "t=1,v1=" + "0" * 64],
)
def test_missing_or_malformed_signature_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, header: str | None
) -> None:
    response = post_raw(client, store, body_of(intent_event()), header)
    assert response.status_code == 400
    assert events(runtime) == []


def test_wrong_secret_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = deliver(client, store, "stripe", intent_event(), secret="whsec_not_the_right_one")
    assert response.status_code == 400
    assert "signature" in json_body(response)["error"]
    assert events(runtime) == []


def test_another_stores_secret_is_refused(
    client: FlaskClient, store: StoreFixture, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    response = deliver(
        client, store, "stripe", intent_event(), secret=test_mode_store.secret("stripe")
    )
    assert response.status_code == 400


# Five seconds either side of the 300 s tolerance: the header's whole-second timestamp and
# a slow request on a busy machine must not decide the answer.
@pytest.mark.parametrize(
    ("offset", "accepted"), [(-295, True), (-305, False), (295, True), (305, False)]
)
def test_timestamp_tolerance_is_checked_both_ways(
    client: FlaskClient, store: StoreFixture, offset: int, accepted: bool
) -> None:
    response = deliver(client, store, "stripe", intent_event(), timestamp=time.time() + offset)
    assert response.status_code == (200 if accepted else 400)


def test_an_hour_in_the_future_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = deliver(client, store, "stripe", intent_event(), timestamp=time.time() + 3600)
    assert response.status_code == 400
    assert "tolerance" in json_body(response)["error"]
    assert events(runtime) == []


def test_reserialized_body_fails_verification(client: FlaskClient, store: StoreFixture) -> None:
    body = body_of(intent_event())
    header = stripe_header(body, store.secret("stripe"), time.time())
    reserialized = json.dumps(json.loads(body), indent=2).encode()
    assert post_raw(client, store, reserialized, header).status_code == 400


def test_v0_only_signature_is_refused(client: FlaskClient, store: StoreFixture) -> None:
    body = body_of(intent_event())
    header = stripe_header(body, store.secret("stripe"), time.time()).replace("v1=", "v0=")
    assert post_raw(client, store, body, header).status_code == 400


def test_any_v1_signature_passes_while_stripe_rolls_a_secret(
    client: FlaskClient, store: StoreFixture
) -> None:
    body = body_of(intent_event())
    now = time.time()
    good = stripe_header(body, store.secret("stripe"), now).split(",")[1]
    stale = stripe_header(body, "whsec_old", now).split(",")[1]
    header = f"t={int(now)},{stale},{good}"
    assert post_raw(client, store, body, header).status_code == 200


def test_rotated_secrets_are_all_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    from shopsync.stores.provisioning import set_secrets
    from shopsync.web.state import app_state

    old = store.secret("stripe")
    set_secrets(
        runtime.engine,
        runtime.vault,
        store_id=store.id,
        provider="stripe",
        secrets=["whsec_new_secret_0123456789", old],
    )
    with app.app_context():
        app_state().directory.forget()
    assert (
        deliver(
            client, store, "stripe", intent_event(), secret="whsec_new_secret_0123456789"
        ).status_code
        == 200
    )
    assert deliver(client, store, "stripe", intent_event(), secret=old).status_code == 200
    assert deliver(client, store, "stripe", intent_event(), secret="whsec_other").status_code == 400


def test_unknown_endpoint_key_is_not_found(client: FlaskClient, store: StoreFixture) -> None:
    body = body_of(intent_event())
    header = stripe_header(body, store.secret("stripe"), time.time())
    response = client.post(
        "/webhooks/stripe/not-a-key", data=body, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 404


def test_endpoint_key_of_another_provider_is_not_found(
    client: FlaskClient, store: StoreFixture
) -> None:
    key = store.path("stripe").rsplit("/", 1)[1]
    assert client.post(f"/webhooks/nosuchprovider/{key}", data=b"{}").status_code == 404

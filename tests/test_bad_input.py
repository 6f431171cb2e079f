"""Each row of the bad-input table: a clear error, nothing stored, nothing leaked."""

from __future__ import annotations

import time

import pytest
import stripe
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from shopsync.runtime import Runtime
from tests.support import StoreFixture, events


def signed_post(client: FlaskClient, store: StoreFixture, body: bytes) -> TestResponse:
    header: str = (
        stripe.WebhookSignature.generate_signature_header(
            body.decode("utf-8", errors="surrogateescape"),
            store.secret("stripe"),
            timestamp=int(time.time()),
        )
        if _is_utf8(body)
        else _header_for_bytes(body, store.secret("stripe"))
    )
    return client.post(store.path("stripe"), data=body, headers={"Stripe-Signature": header})


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def _header_for_bytes(body: bytes, secret: str) -> str:
    import hashlib
    import hmac

    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": "evt_1", "type": "x", "name": "\xff\xfe"}', "body is not valid UTF-8"),
        (b'{"id": "evt_1", "type": ', "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b'[{"id": "evt_1"}]', "JSON body must be an object"),
        (b'"just a string"', "JSON body must be an object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "JSON nested deeper than 64 levels"),
        (b"[" * 100_000 + b"]" * 100_000, "body is not valid JSON"),
    ],
)
def test_unreadable_bodies_get_a_short_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, body: bytes, message: str
) -> None:
    response = signed_post(client, store, body)
    assert response.status_code == 400
    assert response.json == {"error": message}
    assert events(runtime) == []


def test_body_over_the_cap_is_413_with_content_length(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        store.path("stripe"), data=body, headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert response.status_code == 413
    assert events(runtime) == []


def test_errors_never_echo_signatures_or_payloads(
    client: FlaskClient, store: StoreFixture, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"id": "evt_secretive", "type": "charge.refunded", "card": "4242424242424242"}'
    response = client.post(
        store.path("stripe"), data=body, headers={"Stripe-Signature": "t=1,v1=deadbeefcafe"}
    )
    text = response.get_data(as_text=True) + caplog.text
    for leaked in ("deadbeefcafe", "4242424242424242", "evt_secretive", store.secret("stripe")):
        assert leaked not in text

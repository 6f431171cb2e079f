"""The endpoint cache: bounded whatever keys arrive, fresh within its expiry."""

from __future__ import annotations

import secrets

from flask import Flask
from flask.testing import FlaskClient

from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.runtime import Runtime
from shopsync.stores.provisioning import set_secrets
from shopsync.web.state import app_state
from tests.support import StoreFixture, make_store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key_of(store: StoreFixture, provider: str) -> str:
    return store.path(provider).rsplit("/", 1)[1]


def rotate(rt: Runtime, store: StoreFixture, provider: str) -> str:
    secret = "whsec_" + secrets.token_hex(24)
    set_secrets(rt.engine, rt.vault, store_id=store.id, provider=provider, secrets=[secret])
    return secret


def test_random_keys_leave_nothing_in_the_cache(runtime: Runtime, store: StoreFixture) -> None:
    directory = EndpointDirectory(runtime.engine, runtime.vault)
    for _ in range(20_000):
        assert directory.lookup("stripe", secrets.token_urlsafe(24)) is None
    assert len(directory) == 0
    assert directory.lookup("stripe", key_of(store, "stripe")) is not None
    assert len(directory) == 1


def test_random_keys_sent_to_the_app_answer_404_and_cache_nothing(
    app: Flask, client: FlaskClient, store: StoreFixture
) -> None:
    for _ in range(300):
        path = f"/webhooks/stripe/{secrets.token_urlsafe(24)}"
        assert client.post(path, data=b"{}").status_code == 404
    with app.app_context():
        assert len(app_state().directory) == 0


def test_cache_keeps_the_most_recently_used_endpoints_up_to_its_capacity(
    runtime: Runtime,
) -> None:
    shop0, shop1, shop2, shop3 = [make_store(runtime, name=f"Shop {n}") for n in range(4)]
    directory = EndpointDirectory(runtime.engine, runtime.vault, capacity=3)
    for shop in (shop0, shop1, shop2, shop1, shop3):  # shop 0 is now the least recent
        directory.lookup("stripe", key_of(shop, "stripe"))
    assert len(directory) == 3
    # A rotated secret shows only where the endpoint has to be loaded again.
    rotated = {shop.id: rotate(runtime, shop, "stripe") for shop in (shop0, shop1)}
    kept = directory.lookup("stripe", key_of(shop1, "stripe"))
    evicted = directory.lookup("stripe", key_of(shop0, "stripe"))
    assert kept is not None and kept.secrets != (rotated[shop1.id],)
    assert evicted is not None and evicted.secrets == (rotated[shop0.id],)
    assert len(directory) == 3


def test_cached_endpoint_expires_and_picks_up_a_rotated_secret(
    runtime: Runtime, store: StoreFixture
) -> None:
    clock = FakeClock()
    directory = EndpointDirectory(runtime.engine, runtime.vault, ttl=10.0, clock=clock)
    before = directory.lookup("stripe", key_of(store, "stripe"))
    rotated = rotate(runtime, store, "stripe")
    clock.now += 9.5
    assert directory.lookup("stripe", key_of(store, "stripe")) == before
    clock.now += 1.0
    fresh = directory.lookup("stripe", key_of(store, "stripe"))
    assert fresh is not None and fresh.secrets == (rotated,)

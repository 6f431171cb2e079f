"""A sick Redis never holds an acknowledgement: short wake-up timeout, then skip Redis."""

from __future__ import annotations

import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from redis import Redis

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.pipeline import jobs
from shopsync.pipeline.wakeups import WAKE_TIMEOUT_SECONDS, Waker
from shopsync.runtime import Runtime, activate, connect_redis
from tests.processes import free_port
from tests.support import StoreFixture, deliver, event_statuses, events, make_store, work_queue


class SilentRedis:
    """A TCP server that accepts connections and never answers, like a hung Redis."""

    def __init__(self) -> None:
        self.port = free_port()
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=128)
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self._held.append(self._listener.accept()[0])

    def close(self) -> None:
        self._listener.close()
        for held in self._held:
            held.close()


@pytest.fixture
def silent_redis() -> Iterator[SilentRedis]:
    server = SilentRedis()
    yield server
    server.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def shop_on(environ: dict[str, str], redis_url: str) -> tuple[FlaskClient, Runtime, StoreFixture]:
    """An app whose Redis is `redis_url`, and a store on it."""
    app = create_app(Settings.from_env({**environ, "REDIS_URL": redis_url}))
    rt: Runtime = app.extensions["shopsync"].runtime
    return app.test_client(), rt, make_store(rt, name="Sick Redis shop")


def checkout(order_id: str) -> dict[str, object]:
    session = samples.checkout_session(order_id, amount=700)
    return samples.event("checkout.session.completed", session, livemode=True)


def test_acks_stay_fast_when_redis_accepts_but_never_answers(
    environ: dict[str, str], silent_redis: SilentRedis
) -> None:
    client, rt, store = shop_on(environ, silent_redis.url)
    latencies: list[float] = []
    for n in range(100):
        started = time.perf_counter()
        assert deliver(client, store, "stripe", checkout(f"H-{n}")).status_code == 200
        latencies.append(time.perf_counter() - started)
        if latencies[-1] > 1.0:
            break  # each ack waiting on Redis: no need to wait for all of them
    assert len(latencies) == 100
    assert statistics.quantiles(latencies, n=100)[98] < 0.1
    assert statistics.median(latencies) < 0.02
    # Every row is durable and due for the relay at once.
    now = datetime.now(UTC)
    assert event_statuses(rt) == ["received"] * 100
    assert all(e.next_attempt_at is not None and e.next_attempt_at <= now for e in events(rt))
    rt.close()


def test_wake_up_skips_redis_after_a_failure_then_tries_again(
    own_redis: EmbeddedRedis,
) -> None:
    clock = FakeClock()
    waker = Waker(
        lambda: connect_redis(own_redis.url, timeout=WAKE_TIMEOUT_SECONDS, retries=False),
        skip_seconds=5.0,
        clock=clock,
    )
    assert waker.wake([1]) is True
    own_redis.stop()
    assert waker.wake([2]) is False
    own_redis.start()
    clock.now += 4.9
    assert waker.available() is False and waker.wake([3]) is False  # skipped, not tried
    clock.now += 0.2
    assert waker.wake([4]) is True
    with Redis.from_url(own_redis.url) as redis:
        assert redis.lrange("shopsync:inbox", 0, -1) == [b"4"]
    waker.close()


def test_rows_recorded_while_redis_is_skipped_are_relayed_once_it_answers(
    environ: dict[str, str], own_redis: EmbeddedRedis
) -> None:
    client, rt, store = shop_on(environ, own_redis.url)
    own_redis.stop()
    for n in range(3):
        assert deliver(client, store, "stripe", checkout(f"S-{n}")).status_code == 200
    own_redis.start()
    activate(rt)
    assert jobs.relay() == 3
    work_queue(rt)
    assert event_statuses(rt) == ["processed"] * 3
    rt.close()

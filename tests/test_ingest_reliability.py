"""Nothing a provider sends is lost or doubled: outages, races, crashes and replays."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import make_url

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.pipeline import jobs
from shopsync.runtime import Runtime, activate
from tests.processes import TcpProxy, free_port, gunicorn
from tests.support import (
    StoreFixture,
    body_of,
    deliver,
    event_statuses,
    events,
    make_store,
    order,
    signed_headers,
    work_queue,
)


def paid_checkout(order_id: str, amount: int = 1500) -> dict[str, object]:
    return samples.event(
        "checkout.session.completed",
        samples.checkout_session(order_id, amount=amount),
        livemode=True,
    )


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def live_server(environ: dict[str, str], tmp_path: Path) -> Iterator[str]:
    process, base = gunicorn(environ, workers=4, log=tmp_path / "gunicorn.log")
    yield base
    process.stop()


@pytest.mark.slow
def test_concurrent_duplicates_across_gunicorn_workers_make_one_row(
    live_server: str, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(paid_checkout("C-1"))
    headers = signed_headers("stripe", body, store.secret("stripe"))
    url = live_server + store.path("stripe")
    start = threading.Barrier(20)
    results: list[int] = []

    def send() -> None:
        start.wait()
        results.append(post(url, body, headers)[0])

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 20
    assert len(events(runtime)) == 1


@pytest.mark.slow
def test_chunked_body_over_the_cap_is_413(
    live_server: str, store: StoreFixture, runtime: Runtime
) -> None:
    host, port = live_server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    chunks = (b"x" * 65536 for _ in range(20))  # 1.25 MB, no Content-Length
    connection.request(
        "POST",
        store.path("stripe"),
        body=chunks,
        encode_chunked=True,
        headers={"Stripe-Signature": "t=1,v1=00", "Transfer-Encoding": "chunked"},
    )
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"error": "body larger than 1048576 bytes"}
    assert events(runtime) == []


def test_redis_down_during_receipt_then_back(
    environ: dict[str, str], own_redis: EmbeddedRedis
) -> None:
    redis_server = own_redis
    app = create_app(Settings.from_env({**environ, "REDIS_URL": redis_server.url}))
    rt = app.extensions["shopsync"].runtime
    store = make_store(rt, name="Outage shop")
    redis_server.stop()
    response = deliver(app.test_client(), store, "stripe", paid_checkout("R-1"))
    assert response.status_code == 200
    assert event_statuses(rt) == ["received"]
    redis_server.start()
    activate(rt)
    assert jobs.relay() == 1
    work_queue(rt)
    assert event_statuses(rt) == ["processed"]
    recorded = order(rt, store.id, "R-1")
    assert recorded is not None and recorded.state == "paid"
    rt.close()


def test_unreachable_database_answers_503_and_stores_nothing(
    environ: dict[str, str], client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    broken = create_app(Settings.from_env({**environ, "DATABASE_URL": dead}))
    response = deliver(broken.test_client(), store, "stripe", paid_checkout("D-1"))
    assert response.status_code == 503
    assert response.json == {"error": "temporarily unavailable, retry later"}
    broken.extensions["shopsync"].runtime.close()
    assert events(runtime) == []


def test_provider_retry_after_503_is_recorded_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, environ: dict[str, str]
) -> None:
    event = paid_checkout("D-2")
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"
    broken = create_app(Settings.from_env({**environ, "DATABASE_URL": dead}))
    assert deliver(broken.test_client(), store, "stripe", event).status_code == 503
    broken.extensions["shopsync"].runtime.close()
    assert deliver(client, store, "stripe", event).status_code == 200
    assert deliver(client, store, "stripe", event).json == {"status": "duplicate"}
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]


def test_relay_takes_back_rows_whose_claim_expired(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    from shopsync.pipeline import inbox

    deliver(client, store, "stripe", paid_checkout("L-1"))
    [row] = events(runtime)
    runtime.redis.delete("shopsync:inbox")  # the wake-up was consumed by a worker that died
    from datetime import timedelta

    assert inbox.claim(runtime.engine, [row.id or 0], lease=timedelta(seconds=-1)) == [row.id]
    activate(runtime)
    assert jobs.relay() == 1
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    assert events(runtime)[0].attempts == 2


def test_relay_leaves_fresh_rows_to_their_wake_up(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(client, store, "stripe", paid_checkout("L-2"))
    activate(runtime)
    assert jobs.relay() == 0
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]


def test_database_stopping_mid_traffic_answers_503_then_recovers(
    environ: dict[str, str], database_url: str, runtime: Runtime
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server to stop (TEST_DATABASE_URL); CI runs this")
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).open()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings.from_env({**environ, "DATABASE_URL": through_proxy}))
    proxied: Runtime = app.extensions["shopsync"].runtime
    client = app.test_client()
    store = make_store(proxied, name="Flaky database shop")

    assert deliver(client, store, "stripe", paid_checkout("DB-1")).status_code == 200
    proxy.close()
    assert deliver(client, store, "stripe", paid_checkout("DB-2")).status_code == 503
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.port = make_url(through_proxy).port or 0
    proxy.open()
    retried = paid_checkout("DB-2")
    statuses = [deliver(client, store, "stripe", retried).status_code for _ in range(3)]
    assert statuses[-1] == 200 and set(statuses) <= {200, 503}
    proxy.close()
    proxied.close()
    assert sorted(e.event_type for e in events(runtime)) == ["checkout.session.completed"] * 2

"""A `shopsync worker` rides out Redis outages: it waits, says so once, and resumes."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.runtime import Runtime
from tests.processes import Process, shopsync_worker, wait_until
from tests.support import deliver, event_statuses, events, make_store, order, timeline

OUTAGE_SECONDS = 60


@pytest.fixture
def outage_app(environ: dict[str, str], own_redis: EmbeddedRedis) -> Iterator[Flask]:
    app = create_app(Settings.from_env({**environ, "REDIS_URL": own_redis.url}))
    yield app
    app.extensions["shopsync"].runtime.close()


def worker_environ(environ: dict[str, str], redis: EmbeddedRedis) -> dict[str, str]:
    return {
        **environ,
        "REDIS_URL": redis.url,
        "SHOPSYNC_RELAY_SECONDS": "1",
        # Drain jobs linger for arrivals, so the outage catches one mid-job.
        "SHOPSYNC_DRAIN_LINGER_SECONDS": "1",
        "LOG_LEVEL": "INFO",
    }


def log_lines(path: Path, text: str) -> list[str]:
    return [line for line in path.read_text().splitlines() if text in line]


class SteadyStream(threading.Thread):
    """Signed checkout deliveries, one every `interval` seconds, until stopped."""

    def __init__(self, app: Flask, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.app, self.interval = app, interval
        self.runtime: Runtime = app.extensions["shopsync"].runtime
        self.store = make_store(self.runtime, name="Outage shop")
        self.sent: list[str] = []
        self.answers: list[int] = []
        self._halt = threading.Event()

    def run(self) -> None:
        client = self.app.test_client()
        while not self._halt.wait(self.interval):
            order_id = f"O-{len(self.sent) + 1}"
            session = samples.checkout_session(order_id, amount=1200)
            event = samples.event("checkout.session.completed", session, livemode=True)
            self.answers.append(deliver(client, self.store, "stripe", event).status_code)
            self.sent.append(order_id)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@pytest.mark.slow
def test_worker_rides_out_a_redis_outage_during_a_steady_stream(
    environ: dict[str, str], own_redis: EmbeddedRedis, outage_app: Flask, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    stream = SteadyStream(outage_app)
    rt = stream.runtime
    with shopsync_worker(worker_environ(environ, own_redis), log=log) as worker:
        stream.start()
        wait_until(lambda: "processed" in event_statuses(rt), timeout=30, what="a first event")
        own_redis.stop()
        time.sleep(OUTAGE_SECONDS)
        own_redis.start()
        time.sleep(5)
        stream.stop()
        wait_until(
            lambda: set(event_statuses(rt)) == {"processed"},
            timeout=60,
            what="every event to be processed after the outage",
        )
        assert worker.popen is not None and worker.popen.poll() is None  # the same process

    assert set(stream.answers) == {200}
    assert len(events(rt)) == len(stream.sent) > OUTAGE_SECONDS * 3
    for order_id in stream.sent:
        paid = order(rt, stream.store.id, order_id)
        assert paid is not None and (paid.state, paid.paid_amount) == ("paid", 1200)
        assert timeline(rt, paid.id) == ["created", "paid"]
    assert len(log_lines(log, "Redis unavailable")) == 1
    assert len(log_lines(log, "Redis back")) == 1
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
def test_worker_started_while_redis_is_down_waits_for_it(
    environ: dict[str, str], own_redis: EmbeddedRedis, outage_app: Flask, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    rt: Runtime = outage_app.extensions["shopsync"].runtime
    store = make_store(rt, name="Late Redis shop")
    own_redis.stop()
    with shopsync_worker(worker_environ(environ, own_redis), log=log) as worker:
        wait_until(lambda: bool(log_lines(log, "Redis unavailable")), what="the waiting line")
        time.sleep(2)
        assert worker.popen is not None and worker.popen.poll() is None
        own_redis.start()
        session = samples.checkout_session("L-1", amount=900)
        event = samples.event("checkout.session.completed", session, livemode=True)
        assert deliver(outage_app.test_client(), store, "stripe", event).status_code == 200
        wait_until(lambda: event_statuses(rt) == ["processed"], timeout=30, what="processing")
        stopped = stop_with_sigterm(worker)
    assert stopped == 0
    assert len(log_lines(log, "Redis unavailable")) == 1
    assert "Traceback" not in log.read_text()


@pytest.mark.slow
def test_worker_stops_on_sigterm_while_redis_is_down(
    environ: dict[str, str], own_redis: EmbeddedRedis, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    with shopsync_worker(worker_environ(environ, own_redis), log=log) as worker:
        wait_until(lambda: "Listening on" in log.read_text(), what="the worker to listen")
        own_redis.stop()
        wait_until(lambda: bool(log_lines(log, "Redis unavailable")), what="the waiting line")
        started = time.monotonic()
        assert stop_with_sigterm(worker) == 0
        assert time.monotonic() - started < 10
    assert "Traceback" not in log.read_text()


def stop_with_sigterm(worker: Process) -> int:
    worker.signal_group(signal.SIGTERM)  # as Heroku does: every process of the dyno
    assert worker.popen is not None
    return worker.popen.wait(timeout=30)

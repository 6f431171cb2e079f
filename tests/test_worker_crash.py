"""A worker killed with SIGKILL mid-job: the event is still processed, exactly once."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rq import Worker
from rq.registry import StartedJobRegistry
from sqlalchemy import text

from handlers.stripe import samples
from shopsync.pipeline.jobs import LANE
from shopsync.queue import QUEUE_NAME
from shopsync.runtime import Runtime
from tests.processes import shopsync_worker, wait_until
from tests.support import StoreFixture, deliver, events, order, timeline, work_queue


@contextmanager
def order_locked(rt: Runtime, external_id: str) -> Iterator[Callable[[], bool]]:
    """Hold a lock the worker's transaction must wait for; yields "is the worker stuck?"."""
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.connect() as connection, connection.begin():
            connection.execute(
                text("SELECT id FROM orders WHERE external_id = :e FOR UPDATE"), {"e": external_id}
            )
            # Stuck inside the handler: the row is claimed, its transaction waits on ours.
            yield lambda: [e.status for e in events(rt)][-1] == "processing"
        return
    path = rt.engine.url.database or ""
    lock = sqlite3.connect(path, isolation_level=None, timeout=30)
    lock.execute("BEGIN IMMEDIATE")
    registry = StartedJobRegistry(QUEUE_NAME, connection=rt.redis)
    try:
        # Stuck before claiming: the id left Redis, the claim waits for the write lock.
        yield lambda: LANE.waiting(rt.redis) == 0 and registry.count > 0
    finally:
        lock.execute("ROLLBACK")
        lock.close()


@pytest.mark.slow
def test_worker_killed_mid_job_processes_the_event_exactly_once(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    env = {
        **environ,
        "SHOPSYNC_CLAIM_SECONDS": "2",
        "SHOPSYNC_RELAY_SECONDS": "1",
        "SHOPSYNC_RELAY_GRACE_SECONDS": "2",
    }
    unpaid = samples.checkout_session("K-1", amount=1500, payment_status="unpaid")
    deliver(
        client, store, "stripe", samples.event("checkout.session.completed", unpaid, livemode=True)
    )
    work_queue(runtime)
    intent = samples.payment_intent("K-1", amount=1500)
    deliver(
        client, store, "stripe", samples.event("payment_intent.succeeded", intent, livemode=True)
    )

    with order_locked(runtime, "K-1") as worker_is_stuck:
        doomed = shopsync_worker(env, log=tmp_path / "doomed.log")
        wait_until(worker_is_stuck, timeout=30, what="the worker to be mid-job")
        doomed.signal_tree(signal.SIGKILL)
        doomed.stop()
    assert events(runtime)[-1].status in ("received", "processing")  # killed before done

    with shopsync_worker(env, log=tmp_path / "second.log"):
        wait_until(
            lambda: [e.status for e in events(runtime)] == ["processed", "processed"],
            timeout=40,
            what="the event to be processed by the second worker",
        )

    paid = order(runtime, store.id, "K-1")
    assert paid is not None
    assert (paid.state, paid.paid_amount) == ("paid", 1500)
    assert timeline(runtime, paid.id) == ["created", "paid"]


@pytest.mark.slow
def test_worker_stops_cleanly_when_every_process_gets_sigterm(
    environ: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    worker = shopsync_worker(environ, log=tmp_path / "worker.log")
    # "idle" comes after RQ installs its signal handlers; a SIGTERM before that simply
    # kills a worker that has nothing in hand.
    wait_until(
        lambda: [w.get_state() for w in Worker.all(connection=runtime.redis)] == ["idle"],
        timeout=60,
        what="the worker to be idle",
    )
    worker.signal_group(signal.SIGTERM)  # as Heroku does: every process of the dyno
    assert worker.popen is not None and worker.popen.wait(timeout=30) == 0
    assert Worker.all(connection=runtime.redis) == []

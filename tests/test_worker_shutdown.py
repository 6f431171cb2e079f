"""SIGTERM in the middle of a batch: whatever was not committed goes back at once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from handlers.stripe import samples
from shopsync.runtime import Runtime
from tests.processes import shopsync_worker, wait_until
from tests.support import StoreFixture, deliver, events, order, timeline, work_queue


def checkout(order_id: str, *, paid: bool = True) -> dict[str, object]:
    session = samples.checkout_session(
        order_id, amount=1500, payment_status="paid" if paid else "unpaid"
    )
    return samples.event("checkout.session.completed", session, livemode=True)


def waiting_on_a_lock(rt: Runtime) -> bool:
    with rt.engine.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar_one()
    return bool(waiting)


@pytest.mark.slow
def test_sigterm_mid_chunk_hands_back_every_row_not_committed(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("holds a row lock mid-transaction: needs Postgres (TEST_DATABASE_URL)")
    # Long leases: only an immediate hand-back can make the rows workable again in time.
    env = {**environ, "SHOPSYNC_CLAIM_SECONDS": "600", "SHOPSYNC_RELAY_SECONDS": "1"}
    deliver(client, store, "stripe", checkout("LOCKED", paid=False))
    work_queue(runtime)
    for n in range(10):
        deliver(client, store, "stripe", checkout(f"BEFORE-{n}"))
    intent = samples.payment_intent("LOCKED", amount=1500)
    deliver(
        client, store, "stripe", samples.event("payment_intent.succeeded", intent, livemode=True)
    )
    for n in range(10):
        deliver(client, store, "stripe", checkout(f"AFTER-{n}"))
    batch = [e.id for e in events(runtime)[1:]]

    with runtime.engine.connect() as locker, locker.begin():
        # The payment's handler waits on this lock, halfway through one chunk of 21 rows.
        locker.execute(text("SELECT id FROM orders WHERE external_id = 'LOCKED' FOR UPDATE"))
        worker = shopsync_worker(env, log=tmp_path / "worker.log")
        wait_until(lambda: waiting_on_a_lock(runtime), timeout=60, what="the worker mid-chunk")
        assert {e.status for e in events(runtime)[1:]} == {"processing"}
        worker.signal_group(signal.SIGTERM)  # as Heroku does: every process of the dyno
        assert worker.popen is not None and worker.popen.wait(timeout=30) == 0
        # Still holding the lock: nothing of the chunk committed, and all of it is back.
        rows = events(runtime)[1:]
        assert [(e.id, e.status, e.attempts, e.claimed_until) for e in rows] == [
            (row_id, "received", 0, None) for row_id in batch
        ]
        assert "Traceback" not in (tmp_path / "worker.log").read_text()

    started = time.monotonic()
    with shopsync_worker(env, log=tmp_path / "second.log"):
        wait_until(
            lambda: {e.status for e in events(runtime)} == {"processed"},
            timeout=60,
            what="the second worker to process every row",
        )
    assert time.monotonic() - started < 60  # well inside the 600 s lease
    paid = order(runtime, store.id, "LOCKED")
    assert paid is not None and (paid.state, paid.paid_amount) == ("paid", 1500)
    assert timeline(runtime, paid.id) == ["created", "paid"]
    assert all(e.attempts == 1 for e in events(runtime)[1:])


@pytest.mark.slow
def test_sigterm_during_a_backlog_stops_after_the_chunk_in_hand(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    env = {**environ, "SHOPSYNC_CLAIM_SECONDS": "600", "SHOPSYNC_RELAY_SECONDS": "1"}
    backlog = 3000  # more than RQ's 6 s grace worth of work
    for n in range(backlog):
        deliver(client, store, "stripe", checkout(f"B-{n}"))

    worker = shopsync_worker(env, log=tmp_path / "worker.log")
    wait_until(lambda: status_counts(runtime).get("processed", 0) >= 100, timeout=60)
    worker.signal_group(signal.SIGTERM)
    signalled = time.monotonic()
    assert worker.popen is not None and worker.popen.wait(timeout=30) == 0
    assert time.monotonic() - signalled < 4  # the chunk in hand, not RQ's 6 s alarm
    counts = status_counts(runtime)
    assert "processing" not in counts and counts.get("received", 0) > 0
    assert "Traceback" not in (tmp_path / "worker.log").read_text()

    with shopsync_worker(env, log=tmp_path / "second.log"):
        wait_until(
            lambda: status_counts(runtime) == {"processed": backlog},
            timeout=120,
            what="the second worker to finish the backlog",
        )
    with runtime.engine.connect() as connection:
        milestones = connection.execute(text("SELECT count(*) FROM timeline_entry")).scalar_one()
    assert milestones == 2 * backlog  # created and paid, once each


def status_counts(rt: Runtime) -> dict[str, int]:
    with rt.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT status, count(*) FROM webhook_event GROUP BY status")
        ).all()
    return {status: count for status, count in rows}

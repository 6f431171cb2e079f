"""The drain's hot path in one process, without the web, RQ or the machine's noise.

    .venv/bin/python -m bench.drainprofile [--events 2000] [--no-outbox] [--top 30]

Records `--events` checkout sessions straight into the inbox of a throwaway database
(a store with an `order.paid` subscriber and SMTP configured, as `make bench` has),
then works them with `process_batch` in batches of 100 under cProfile, and prints CPU
per event, SQL statements per event and the top functions by cumulative time. Nothing
is delivered: this is the drain only (the outbox rows are written).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import events, servers, storeside
from bench.infra import ThrowawayDatabase, free_port
from bench.options import HOST

BATCH = 100


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.drainprofile")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--no-outbox", action="store_true", help="no subscriber, no SMTP")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callers", help="also print who calls functions matching this")
    parser.add_argument(
        "--deliver", action="store_true", help="then deliver the outbox rows (profiled instead)"
    )
    parser.add_argument("--no-profile", action="store_true", help="time it without cProfile")
    args = parser.parse_args()
    db = ThrowawayDatabase()
    db.create()
    with ExitStack() as stack:
        stack.callback(db.drop)
        run(db, args, stack)


def run(db: ThrowawayDatabase, args: Any, stack: ExitStack) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SHOPSYNC_") and key not in ("DATABASE_URL", "SMTP_URL")
    }
    env.update(
        DATABASE_URL=db.url,
        REDIS_URL="redis://127.0.0.1:6379/9",
        SECRET_KEY=secrets.token_urlsafe(36),
        SHOPSYNC_ENV="production",
        PUBLIC_URL="https://shopsync-bench.invalid",
        SHOPSYNC_WEBHOOK_TARGETS="any",
        SHOPSYNC_INSTANCE_PATH=f"/tmp/drainprofile-{db.name}",
    )
    hook_port, smtp_port = free_port(), free_port()
    if not args.no_outbox:
        env["SMTP_URL"] = f"smtp://{HOST}:{smtp_port}?timeout=5"
    servers.run_cli(["db", "upgrade"], env)
    created = json.loads(servers.run_cli(["store", "create", "Bench", "--json"], env))
    store_id = int(created["store_id"])
    if not args.no_outbox:
        work = Path(tempfile.mkdtemp(prefix="drainprofile-"))
        side = storeside.start(
            env, str(store_id), hook_port, smtp_port, work / "store-side.jsonl", work
        )
        stack.callback(side.stop)
    os.environ.clear()
    os.environ.update(env)

    from shopsync.cli.project import open_project
    from shopsync.pipeline import inbox
    from shopsync.pipeline.jobs import retry_policy
    from shopsync.pipeline.processing import process_batch
    from shopsync.pipeline.registry import Delivery, registry

    rt = open_project()
    batch = events.checkout_events(args.events, run="p" + secrets.token_hex(3), phase="d")
    ids = []
    for item in batch:
        payload = json.loads(item.body)
        delivery = Delivery(
            event_id=item.event_id,
            event_type=item.event_type,
            occurred_at=datetime.fromtimestamp(payload["created"], tz=UTC),
            payload_text=item.body.decode(),
        )
        row = inbox.record(
            rt.engine,
            store_id=store_id,
            provider="stripe",
            delivery=delivery,
            grace=timedelta(seconds=30),
        )
        assert row is not None
        ids.append(row)
    statements = [0]

    @event.listens_for(rt.engine, "before_cursor_execute")
    def count(*_args: object) -> None:
        statements[0] += 1

    policy = retry_policy()
    # Warm-up: the first batch pays for imports, caches and connections.
    process_batch(rt.engine, registry, ids[:BATCH], policy)
    rest = ids[BATCH:]
    statements[0] = 0
    profiler = cProfile.Profile()
    started_cpu, started = time.process_time(), time.perf_counter()
    if not args.no_profile:
        profiler.enable()
    posted = 0
    for index in range(0, len(rest), BATCH):
        result = process_batch(rt.engine, registry, rest[index : index + BATCH], policy)
        posted += len(result.posted)
    profiler.disable()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    n = len(rest)
    print(
        f"{n} events: {wall / n * 1000:.2f} ms wall, {cpu / n * 1000:.2f} ms CPU per event "
        f"({'not ' if args.no_profile else ''}profiled), "
        f"{statements[0] / n:.1f} SQL statements per event, "
        f"{posted} outbox rows ({posted / n:.2f} per event)"
    )
    if args.deliver and not args.no_outbox:
        profiler = _deliver(rt, args.no_profile)
    if args.no_profile:
        rt.close()
        return
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    stats.print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)
    print(out.getvalue())
    rt.close()


def _deliver(rt: Any, quiet: bool) -> cProfile.Profile:
    """Send every pending outbox row to the store side, 20 at a time (the job's batch)."""
    from shopsync.outbox.delivery import deliver

    with rt.engine.connect() as connection:
        ids = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT id FROM outbox_message WHERE status = 'pending' ORDER BY id"
            )
        ]
    profiler = cProfile.Profile()
    started_cpu, started = time.process_time(), time.perf_counter()
    if not quiet:
        profiler.enable()
    for index in range(0, len(ids), 20):
        deliver(rt, ids[index : index + 20])
    profiler.disable()
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    n = max(1, len(ids))
    print(
        f"delivered {len(ids)} messages: {wall / n * 1000:.2f} ms wall, "
        f"{cpu / n * 1000:.2f} ms CPU per message ({'not ' if quiet else ''}profiled)"
    )
    return profiler


if __name__ == "__main__":
    main()

"""The scenarios, run in order on one machine under one gunicorn configuration.

(a) bare Flask, (b) naive handler, (c) shopsync ingest, then shopsync's workers drain
(c)'s backlog, (d) drain 10,000 pre-recorded checkout events with 2 workers, (e) steady
100 events/s end to end, (g) duplicates redelivered and the exactly-once audit. (f),
peak RSS, is sampled throughout.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psutil
from sqlalchemy import create_engine

from bench import checks, events, loadgen, profiling, servers, storeside
from bench.apps.naive import Base as NaiveBase
from bench.events import Event
from bench.infra import ThrowawayDatabase, flush_redis_db9, free_port
from bench.loadgen import WrkResult
from bench.options import HOST, REDIS_URL, Options
from bench.servers import Managed, RssSampler

# Variables the bench sets for the servers itself; inherited values must not leak in
# (REDIS_TLS_URL, for one, would win over REDIS_URL).
CONTROLLED_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_TLS_URL",
    "SECRET_KEY",
    "PUBLIC_URL",
    "SMTP_URL",
    "LOG_LEVEL",
    "PORT",
    "WEB_CONCURRENCY",
)
REFERENCE_SECRET = "whsec_" + "b" * 48
M = TypeVar("M", bound=Managed)


@dataclass
class Target:
    """The shopsync deployment under test."""

    port: int
    path: str
    secret: str
    env: dict[str, str]
    server: Managed
    store: storeside.StoreSide
    workers: list[Managed] = field(default_factory=list)


@dataclass
class Bench:
    opts: Options
    wrk: str
    db: ThrowawayDatabase
    conn: checks.Conn
    work: Path
    logs: Path
    stack: ExitStack
    sampler: RssSampler
    py_spy: str | None
    profile_dir: Path
    run_id: str = field(default_factory=lambda: "b" + secrets.token_hex(3))
    sent: list[Event] = field(default_factory=list)  # every event delivered to shopsync
    acked_lost: int = 0
    notes: list[str] = field(default_factory=list)

    def start(self, factory: Callable[[], M]) -> M:
        process = factory()
        self.stack.callback(process.stop)
        return process

    def start_many(self, factory: Callable[[], list[M]]) -> list[M]:
        processes = factory()
        for process in processes:
            self.stack.callback(process.stop)
        return processes

    def wrk_once(
        self,
        label: str,
        port: int,
        path: str,
        batch: Sequence[Event],
        secret: str,
        duration: float,
        *,
        timed: bool = False,
    ) -> tuple[WrkResult, list[Event]]:
        """Send each event of `batch` at most once with wrk; returns what was issued.

        `timed` runs are meant to last `duration`: running out of events first is noted.
        """
        prefix = self.work / f"pool-{label}"
        slices = events.write_pool(
            prefix,
            batch,
            host=f"{HOST}:{port}",
            path=path,
            secret=secret,
            threads=self.opts.wrk_threads,
        )
        result = loadgen.run_wrk(
            self.wrk,
            port=port,
            path=path,
            pool_prefix=prefix,
            mode="once",
            duration=duration,
            connections=self.opts.connections,
            threads=self.opts.wrk_threads,
        )
        _remove_pool(prefix, self.opts.wrk_threads)
        issued = [e for chunk, n in zip(slices, result.issued, strict=True) for e in chunk[:n]]
        if result.pool_exhausted and timed:
            self.notes.append(f"{label}: pool of {len(batch)} events ran out before the time did")
        return result, issued


def _remove_pool(prefix: Path, threads: int) -> None:
    for index in range(threads):
        Path(f"{prefix}.{index}").unlink(missing_ok=True)


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def throughput_summary(result: WrkResult, rss_mb: float | None) -> dict[str, Any]:
    return {"wrk": result.as_dict(), "peak_rss_mb": rss_mb}


# (a) ---------------------------------------------------------------------------------


def bare(b: Bench) -> dict[str, Any]:
    progress(f"(a) bare Flask endpoint, {b.opts.duration:.0f} s")
    port = free_port()
    server = b.start(
        lambda: servers.gunicorn(
            "web-a-bare",
            "bench.apps.bare:app",
            port,
            dict(os.environ),
            b.logs,
            b.opts.web_workers,
            worker_args=servers.worker_model(b.opts.web_threads),
        )
    )
    b.sampler.watch("web-a", [server])
    prefix = b.work / "pool-a"
    pool = events.checkout_events(1000, run=b.run_id, phase="a")
    events.write_pool(
        prefix,
        pool,
        host=f"{HOST}:{port}",
        path="/webhook",
        secret=REFERENCE_SECRET,
        threads=b.opts.wrk_threads,
    )

    def run(duration: float) -> WrkResult:
        return loadgen.run_wrk(
            b.wrk,
            port=port,
            path="/webhook",
            pool_prefix=prefix,
            mode="cycle",
            duration=duration,
            connections=b.opts.connections,
            threads=b.opts.wrk_threads,
        )

    run(b.opts.warmup)
    result = run(b.opts.duration)
    _remove_pool(prefix, b.opts.wrk_threads)
    rss = b.sampler.peak_mb("web-a")
    b.sampler.unwatch("web-a")
    server.stop()
    return throughput_summary(result, rss)


# (b) ---------------------------------------------------------------------------------


def naive(b: Bench) -> dict[str, Any]:
    progress(
        f"(b) naive handler (construct_event + ORM INSERT + RQ enqueue), {b.opts.duration:.0f} s"
    )
    sa_url = b.db.url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(sa_url)
    NaiveBase.metadata.create_all(engine)
    engine.dispose()
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": sa_url,
        "BENCH_REDIS_URL": REDIS_URL,
        "BENCH_STRIPE_SECRET": REFERENCE_SECRET,
    }
    port = free_port()
    server = b.start(
        lambda: servers.gunicorn(
            "web-b-naive",
            "bench.apps.naive:create_app()",
            port,
            env,
            b.logs,
            b.opts.web_workers,
            worker_args=servers.worker_model(b.opts.web_threads),
        )
    )
    b.sampler.watch("web-b", [server])
    warm = events.checkout_events(300, run=b.run_id, phase="b-warm")
    b.wrk_once("b-warm", port, "/webhook", warm, REFERENCE_SECRET, b.opts.warmup + 20)
    pool = events.checkout_events(
        int(b.opts.max_ingest_rate * b.opts.duration), run=b.run_id, phase="b"
    )
    result, issued = b.wrk_once(
        "b", port, "/webhook", pool, REFERENCE_SECRET, b.opts.duration, timed=True
    )
    rss = b.sampler.peak_mb("web-b")
    b.sampler.unwatch("web-b")
    server.stop()
    row = b.conn.execute("SELECT count(*) FROM bench_naive_event").fetchone()
    summary = throughput_summary(result, rss)
    summary["rows"] = int(row[0]) if row else 0
    summary["issued"] = len(issued)
    return summary


# (c) ---------------------------------------------------------------------------------


def shopsync_env(b: Bench, smtp_port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CONTROLLED_ENV and not key.startswith("SHOPSYNC_")
    }
    env.update(
        SHOPSYNC_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(36),
        DATABASE_URL=b.db.url,
        REDIS_URL=REDIS_URL,
        # Production wants https; only the paths of the URLs it builds are used here.
        PUBLIC_URL="https://shopsync-bench.invalid",
        SHOPSYNC_INSTANCE_PATH=str(b.work / "instance"),
        # The store's receiver runs on this machine, which production refuses by default.
        SHOPSYNC_WEBHOOK_TARGETS="any",
    )
    if b.opts.smtp:  # customers' order emails go to the store side's mail sink
        env["SMTP_URL"] = f"smtp://{HOST}:{smtp_port}?timeout=5"
    return env


def shopsync_server_config(opts: Options) -> tuple[Path, list[str]]:
    """shopsync is served as its Procfile serves it: with the project's gunicorn.conf.py
    (only the worker count, and the threads when --threads is given, are the bench's)."""
    if not servers.PROJECT_CONFIG.exists():  # code from before the project had one
        return servers.REFERENCE_CONFIG, servers.worker_model(opts.web_threads)
    threads = ["--threads", str(opts.web_threads)] if opts.threads_given else []
    return servers.PROJECT_CONFIG, threads


def start_shopsync(b: Bench) -> Target:
    progress("migrating the bench database, creating the store, starting shopsync")
    port, hook_port, smtp_port = free_port(), free_port(), free_port()
    env = shopsync_env(b, smtp_port)
    servers.run_cli(["db", "upgrade"], env)
    created = json.loads(servers.run_cli(["store", "create", "Bench", "--json"], env))
    endpoint = next(e for e in created["endpoints"] if e["provider"] == "stripe")
    store = b.start(
        lambda: storeside.start(
            env, str(created["store_id"]), hook_port, smtp_port, b.work / "store-side.jsonl", b.logs
        )
    )
    mail = "emails to its mail sink" if b.opts.smtp else "no SMTP_URL (no emails)"
    b.notes.append(f"store side: subscriber for {storeside.EVENTS}, {mail}; {store.url}")
    config, worker_args = shopsync_server_config(b.opts)
    b.notes.append(f"(c) gunicorn --config {config.name} {' '.join(worker_args)}".rstrip())
    server = b.start(
        lambda: servers.gunicorn(
            "web-shopsync",
            "shopsync.app:create_app()",
            port,
            env,
            b.logs,
            b.opts.web_workers,
            config=config,
            worker_args=worker_args,
        )
    )
    b.sampler.watch("web-shopsync", [server])
    return Target(port, urlsplit(endpoint["url"]).path, endpoint["secret"], env, server, store)


def reconcile(
    b: Bench, t: Target, label: str, issued: list[Event], acked_ok: int
) -> dict[str, Any]:
    """After wrk: acknowledged-but-missing rows are lost events; unanswered ones are
    redelivered, as Stripe would, so every issued event ends up recorded."""
    rows = checks.rows_per_event(b.conn, [e.event_id for e in issued])
    missing = [e for e in issued if e.event_id not in rows]
    lost = max(0, acked_ok - (len(issued) - len(missing)))
    b.acked_lost += lost
    b.sent.extend(issued)
    redelivered: dict[str, Any] = {}
    if missing:
        log = loadgen.send(missing, port=t.port, path=t.path, secret=t.secret)
        redelivered = log.summary()
        b.notes.append(f"{label}: {len(missing)} unanswered events redelivered")
    if lost:
        b.notes.append(f"{label}: {lost} events answered 200 but not recorded (LOST)")
    return {
        "issued": len(issued),
        "acked_200": acked_ok,
        "rows_found": len(issued) - len(missing),
        "lost": lost,
        "redelivered": redelivered,
    }


def ingest(b: Bench, t: Target) -> dict[str, Any]:
    progress(f"(c) shopsync ingest path, {b.opts.duration:.0f} s")
    warm = events.paired_events(300, run=b.run_id, phase="c-warm")
    warm_result, warm_issued = b.wrk_once(
        "c-warm", t.port, t.path, warm, t.secret, b.opts.warmup + 20
    )
    pool = events.paired_events(
        int(b.opts.max_ingest_rate * b.opts.duration), run=b.run_id, phase="c"
    )
    recorder = None
    if b.py_spy:
        recorder = profiling.Recorder(b.py_spy, t.server.pid, b.profile_dir / "ingest-web.txt")
        time.sleep(1.0)  # let py-spy attach before the load starts
    result, issued = b.wrk_once("c", t.port, t.path, pool, t.secret, b.opts.duration, timed=True)
    if recorder:
        recorder.stop()
    summary = throughput_summary(result, b.sampler.peak_mb("web-shopsync"))
    summary["reconcile"] = reconcile(
        b,
        t,
        "(c)",
        warm_issued + issued,
        warm_result.statuses.get(200, 0) + result.statuses.get(200, 0),
    )
    if recorder:
        summary["profile"] = profiling.summarize([recorder.output], profiling.WEB_SCOPE)
    return summary


# (c') --------------------------------------------------------------------------------


def worker_cpu(workers: list[Managed]) -> list[float]:
    return [round(worker.cpu_seconds(), 2) for worker in workers]


def drain_backlog(b: Bench, t: Target) -> dict[str, Any]:
    """Workers process what (c) recorded, so (d) starts from an idle, fully processed inbox."""
    total = sum(checks.status_counts(b.conn).values())
    progress(f"(c') 2 workers drain the {total} events recorded in (c)")
    workers = b.start_many(
        lambda: servers.shopsync_workers(b.opts.drain_workers, t.env, b.logs, "c")
    )
    b.sampler.watch("workers-c", workers)
    settled = checks.wait_until_final(
        b.conn, after_id=0, expected=total, timeout=b.opts.settle_timeout
    )
    # Stopping a worker mid-send would make it send that message again (the one window).
    outbox = checks.wait_outbox_settled(b.conn, timeout=b.opts.settle_timeout)
    cpu = worker_cpu(workers)
    rss = b.sampler.peak_mb("workers-c")
    b.sampler.unwatch("workers-c")
    for worker in workers:
        worker.stop()
    if not settled.done:
        b.notes.append(
            f"(c'): backlog not drained within {b.opts.settle_timeout:.0f} s: {settled.counts}"
        )
    return {
        "events": total,
        "done": settled.done,
        "seconds": round(settled.seconds, 2),
        "rate": round(total / settled.seconds, 1) if settled.seconds else None,
        "counts": settled.counts,
        "worker_cpu_s": cpu,
        "peak_rss_mb": rss,
        "outbox_settled_s": round(outbox.seconds, 2) if outbox.done else None,
    }


# (d) ---------------------------------------------------------------------------------


def drain(b: Bench, t: Target) -> dict[str, Any]:
    n = b.opts.drain_events
    progress(f"(d) recording {n} checkout events with the workers stopped")
    flush_redis_db9()  # no worker runs and the web is idle: clears wake-up flags left by (c')
    before = checks.max_event_row_id(b.conn)
    batch = events.checkout_events(n, run=b.run_id, phase="d")
    result, issued = b.wrk_once("d-load", t.port, t.path, batch, t.secret, 30 + n / 50)
    preload = {
        "wrk": result.as_dict(),
        "reconcile": reconcile(b, t, "(d) preload", issued, result.statuses.get(200, 0)),
    }
    issued_ids = {e.event_id for e in issued}
    unsent = [e for e in batch if e.event_id not in issued_ids]
    if unsent:  # wrk's time cap ran out first: send the rest so the backlog is complete
        preload["rest"] = loadgen.send(unsent, port=t.port, path=t.path, secret=t.secret).summary()
        b.sent.extend(unsent)
    recorded = sum(checks.status_counts(b.conn, after_id=before).values())
    progress(f"(d) {recorded} events recorded; starting {b.opts.drain_workers} workers")
    started = time.monotonic()
    t.workers = b.start_many(
        lambda: servers.shopsync_workers(b.opts.drain_workers, t.env, b.logs, "de")
    )
    b.sampler.watch("workers-de", t.workers)
    recorders: list[profiling.Recorder] = []
    if b.py_spy:
        recorders = [
            profiling.Recorder(b.py_spy, w.pid, b.profile_dir / f"drain-worker{i}.txt")
            for i, w in enumerate(t.workers)
        ]
    # Sampled each second: CPU seconds per worker tree, to see whether both really work.
    cpu_timeline: list[list[float]] = []
    deadline = started + b.opts.settle_timeout
    while True:
        settled = checks.wait_until_final(
            b.conn, after_id=before, expected=recorded, timeout=1.0, poll=0.05
        )
        cpu_timeline.append(worker_cpu(t.workers))
        if settled.done or time.monotonic() > deadline:
            break
    wall = time.monotonic() - started
    for recorder in recorders:
        recorder.stop()
    outbox = checks.wait_outbox_settled(b.conn, timeout=b.opts.settle_timeout)
    delivered_s = time.monotonic() - started
    written = checks.paid_messages(b.conn)
    rows_written = sum(
        len(written.get(e.order_id, {}).get(kind, []))
        for e in batch
        for kind in checks.outbox_kinds(smtp=b.opts.smtp)
    )
    span = checks.processed_span(b.conn, after_id=before)
    if not settled.done:
        b.notes.append(
            f"(d): drain not finished within {b.opts.settle_timeout:.0f} s: {settled.counts}"
        )
    summary: dict[str, Any] = {
        "events": recorded,
        "done": settled.done,
        "wall_s": round(wall, 2),
        "rate_wall": round(recorded / wall, 1),
        "processing_span_s": round(span[0], 2) if span else None,
        "rate_span": round(recorded / span[0], 1) if span and span[0] > 0 else None,
        "counts": settled.counts,
        "worker_cpu_s": worker_cpu(t.workers),
        "processed_per_second": checks.processed_per_second(b.conn, after_id=before),
        "worker_cpu_timeline": cpu_timeline,
        "preload": preload,
        # Outbox rows the drained events wrote (an order.paid webhook and an email each),
        # and how long until every one was sent, from the workers' start.
        "outbox_rows_written": rows_written,
        "outbox_settled": outbox.done,
        "outbox_delivered_s": round(delivered_s, 2),
    }
    if recorders:
        summary["profile"] = profiling.summarize(
            [r.output for r in recorders], profiling.DRAIN_SCOPE
        )
    return summary


# (e) ---------------------------------------------------------------------------------


def end_to_end(b: Bench, t: Target) -> dict[str, Any]:
    rate, seconds = b.opts.e2e_rate, b.opts.e2e_seconds
    progress(f"(e) {rate:.0f} events/s for {seconds:.0f} s, workers running")
    before = checks.max_event_row_id(b.conn)
    batch = events.checkout_events(int(rate * seconds), run=b.run_id, phase="e")
    log = loadgen.send(batch, port=t.port, path=t.path, secret=t.secret, rate=rate)
    acked = [e for e in batch if log.statuses.get(e.event_id) == 200]
    settled = checks.wait_until_final(b.conn, after_id=before, expected=len(acked), timeout=60)
    rows = checks.rows_per_event(b.conn, [e.event_id for e in acked])
    lost = sum(1 for e in acked if e.event_id not in rows)
    b.acked_lost += lost
    b.sent.extend(e for e in batch if e.event_id in log.statuses)
    unanswered = [e for e in batch if log.statuses.get(e.event_id) is None]
    if unanswered:
        b.notes.append(f"(e): {len(unanswered)} requests failed to connect or timed out")
    inbox_latencies = checks.end_to_end_ms(b.conn, [e.event_id for e in acked])
    arrived = _wait_for_order_paid(t, {e.order_id for e in acked}, timeout=60)
    latencies = [
        (arrived[e.order_id] - log.sent_at[e.event_id]) * 1000
        for e in acked
        if e.order_id in arrived
    ]
    return {
        "sent": log.summary(),
        "achieved_rate": round(len(log.statuses) / log.duration_s, 1),
        "done": settled.done,
        "lost": lost,
        # Signed delivery sent -> the store's receiver has the verified order.paid.
        "e2e_ms": loadgen.latency_summary(latencies),
        "e2e_samples": len(latencies),
        "order_paid_missing": len(acked) - len(latencies),
        # received_at -> processed_at of the inbox row (the measure before the outbox).
        "inbox_ms": loadgen.latency_summary(inbox_latencies),
    }


def _wait_for_order_paid(t: Target, orders: set[str], *, timeout: float) -> dict[str, float]:
    """When the receiver first had each order's verified order.paid (epoch seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        first: dict[str, float] = {}
        for record in t.store.webhooks():
            order = record.get("order")
            if record["verified"] and record.get("type") == "order.paid" and order in orders:
                first[order] = min(first.get(order, record["t"]), record["t"])
        if len(first) >= len(orders) or time.monotonic() > deadline:
            return first
        time.sleep(0.2)


# (g) ---------------------------------------------------------------------------------


def exactly_once(b: Bench, t: Target) -> dict[str, Any]:
    sample = random.sample(b.sent, min(b.opts.duplicates, len(b.sent)))
    progress(f"(g) redelivering {len(sample)} already-recorded events, then auditing")
    log = loadgen.send(sample, port=t.port, path=t.path, secret=t.secret)
    not_duplicate = len(sample) - log.answer_count('"duplicate"')
    total = sum(checks.status_counts(b.conn).values())
    settled = checks.wait_until_final(b.conn, after_id=0, expected=total, timeout=60)
    outbox = checks.wait_outbox_settled(b.conn, timeout=60)
    for worker in t.workers:
        worker.stop()
    audit = checks.exactly_once(b.conn, b.sent, b.acked_lost)
    audit["outbox"] = checks.outbox_once(
        b.conn,
        {e.order_id for e in b.sent},
        t.store.arrivals(),
        events.email_for,
        smtp=b.opts.smtp,
    )
    audit["outbox"]["settled"] = outbox.done
    if any(audit["outbox"]["problems"].values()) or not outbox.done:
        audit["verdict"] = "FAIL"
    audit["duplicates"] = {
        "sent": len(sample),
        "answers": log.summary(),
        "not_answered_duplicate": not_duplicate,
    }
    audit["settled"] = settled.done
    if not_duplicate:
        audit["verdict"] = "FAIL"
    return audit


def machine_load() -> dict[str, Any]:
    return {
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpu_percent": psutil.cpu_percent(interval=None),
    }

"""What one run does: durations and sizes (full or --quick), and the targets from the issue."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL_TEMPLATE = "postgresql://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/9"  # DB 9 only: the only Redis DB the bench touches
RESULTS_DIR = Path(__file__).parent / "results"

# From the issue; printed beside the measures.
TARGET_INGEST_RATIO = 0.5  # shopsync ingest req/s >= 0.5 x bare Flask
TARGET_ACK_P99_MS = 25.0  # at 16 connections
TARGET_DRAIN_PER_S = 1000.0  # with 2 workers
# Signed delivery sent -> the store's receiver has the verified order.paid, at 100 ev/s.
TARGET_E2E_P50_MS = 50.0
TARGET_E2E_P99_MS = 250.0


@dataclass(frozen=True)
class Options:
    quick: bool
    duration: float  # seconds per throughput scenario (a, b, c)
    warmup: float  # seconds of unmeasured load before each throughput scenario
    connections: int
    wrk_threads: int
    web_workers: int
    web_threads: int  # 1: sync workers; more: gthread workers with this many threads
    drain_events: int  # scenario (d)
    drain_workers: int
    e2e_rate: float  # events/s in scenario (e)
    e2e_seconds: float
    duplicates: int  # already-recorded events redelivered for the exactly-once check
    max_ingest_rate: float  # sizes the pool of distinct signed events for (b) and (c)
    profile: bool
    keep_logs: bool
    access_only: bool = False
    # "all", or "ingest": only (a), (b) and (c), for comparing the web side alone.
    scenarios: str = "all"
    # Whether --threads was given: without it (c) keeps the project's own worker model.
    threads_given: bool = False
    # Whether shopsync sends customers' emails (SMTP_URL at the store side's mail sink).
    smtp: bool = True

    @property
    def settle_timeout(self) -> float:
        """How long to wait for workers to finish a backlog before calling it stuck."""
        return 120.0 if self.quick else 240.0


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark shopsync's webhook ingest and workers against a bare Flask app "
        "and a naive handler, on the local Postgres and Redis DB 9.",
    )
    parser.add_argument("--quick", action="store_true", help="short smoke run (~1 minute)")
    parser.add_argument("--duration", type=float, help="seconds per throughput scenario")
    parser.add_argument("--drain-events", type=int, help="events recorded before the drain")
    parser.add_argument("--e2e-seconds", type=float, help="seconds of steady load in (e)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="attach py-spy to the web workers in (c) and to the workers in (d) "
        "(installs py-spy into the venv; perturbs the figures)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep server logs")
    parser.add_argument(
        "--access-only", action="store_true", help="run only (h), the access answers"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="gunicorn threads per worker for all three apps (default: sync workers for "
        "(a) and (b); (c) as the project's gunicorn.conf.py says)",
    )
    parser.add_argument(
        "--no-smtp",
        action="store_true",
        help="no SMTP_URL: paid orders write only their order.paid webhook, no email",
    )
    parser.add_argument(
        "--scenarios",
        choices=("all", "ingest"),
        default="all",
        help="ingest: only (a), (b) and (c)",
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick
    return Options(
        quick=quick,
        duration=args.duration or (3.0 if quick else 15.0),
        warmup=1.0 if quick else 2.0,
        connections=16,
        wrk_threads=2,
        web_workers=2,
        web_threads=args.threads or 1,
        drain_events=args.drain_events or (1000 if quick else 10_000),
        drain_workers=2,
        e2e_rate=100.0,
        e2e_seconds=args.e2e_seconds or (5.0 if quick else 20.0),
        duplicates=50 if quick else 300,
        max_ingest_rate=2500.0,
        profile=args.profile,
        keep_logs=args.keep_logs,
        access_only=args.access_only,
        scenarios=args.scenarios,
        threads_given=args.threads is not None,
        smtp=not args.no_smtp,
    )

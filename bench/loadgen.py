"""Load generators: wrk with bench/pool.lua for throughput, a paced Python sender for (e).

wrk runs with 2 threads and 16 connections, each thread working through its own slice of
pre-signed requests. gunicorn's sync workers close the connection after every response,
so both generators open one TCP connection per request, as providers do.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.events import Event, signature_headers
from bench.options import HOST
from bench.stats import percentile

LUA_SCRIPT = Path(__file__).with_name("pool.lua")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rate: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    statuses: dict[int, int]
    issued: list[int]  # per thread: how many of its slice were sent
    answered: list[int]  # per thread: how many responses came back
    pool_exhausted: bool

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "rate": round(self.rate, 1),
            "latency_ms": self.latency_ms,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "issued": self.issued,
            "answered": self.answered,
            "pool_exhausted": self.pool_exhausted,
        }


def run_wrk(
    wrk: str,
    *,
    port: int,
    path: str,
    pool_prefix: Path,
    mode: str,
    duration: float,
    connections: int,
    threads: int,
    timeout_s: float = 10.0,
) -> WrkResult:
    """Run wrk against 127.0.0.1:port; in "once" mode it ends when its pool is used up."""
    env = {**os.environ, "BENCH_POOL_PREFIX": str(pool_prefix), "BENCH_POOL_MODE": mode}
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={int(timeout_s)}s",
        "-s",
        str(LUA_SCRIPT),
        f"http://{HOST}:{port}{path}",
    ]
    markers = [Path(f"{pool_prefix}.done.{index}") for index in range(threads)]
    for marker in markers:
        marker.unlink(missing_ok=True)
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _wait_for_wrk(process, markers if mode == "once" else [], duration + timeout_s + 30)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for marker in markers:
            marker.unlink(missing_ok=True)
    line = next((row for row in stdout.splitlines() if row.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({process.returncode}): {stderr.strip()[-800:]} {stdout.strip()[-800:]}"
        )
    return _parse(json.loads(line.removeprefix("BENCH_JSON ")), mode)


def _wait_for_wrk(process: subprocess.Popen[str], markers: list[Path], limit: float) -> None:
    """wrk sleeps for its whole -d duration: interrupt it once every thread is done."""
    deadline = time.monotonic() + limit
    while process.poll() is None:
        if (markers and all(m.exists() for m in markers)) or time.monotonic() > deadline:
            process.send_signal(signal.SIGINT)
            return
        time.sleep(0.05)


def _parse(data: dict[str, Any], mode: str) -> WrkResult:
    duration_s = data["duration_us"] / 1e6
    statuses: dict[int, int] = {}
    for thread in data["threads"]:
        for status, count in thread["statuses"].items():
            statuses[int(status)] = statuses.get(int(status), 0) + count
    answered = [t["responses"] for t in data["threads"]]
    latency = {key: round(value / 1000, 2) for key, value in data["latency_us"].items()}
    return WrkResult(
        requests=sum(answered),
        duration_s=duration_s,
        rate=sum(answered) / duration_s if duration_s else 0.0,
        latency_ms=latency,
        errors=data["errors"],
        statuses=statuses,
        issued=[t["issued"] for t in data["threads"]],
        answered=answered,
        pool_exhausted=mode == "once" and all(t["fillers"] > 0 for t in data["threads"]),
    )


@dataclass
class SendLog:
    """What a Python-sent batch got back: per event id, its status and body; latencies."""

    statuses: dict[str, int] = field(default_factory=dict)
    # Wall-clock time (time.time) each request began: the receiver's clock is the same.
    sent_at: dict[str, float] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def count(self, status: int) -> int:
        return sum(1 for value in self.statuses.values() if value == status)

    def answer_count(self, fragment: str) -> int:
        return sum(1 for value in self.answers.values() if fragment in value)

    def summary(self) -> dict[str, Any]:
        tally: dict[str, int] = {}
        for status in self.statuses.values():
            tally[str(status)] = tally.get(str(status), 0) + 1
        return {
            "sent": len(self.statuses) + len(self.failures),
            "statuses": tally,
            "failures": len(self.failures),
            "duration_s": round(self.duration_s, 3),
            "ack_ms": latency_summary(self.latencies_ms),
        }


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": round(max(values), 2) if values else None,
    }


def send(
    events: Sequence[Event],
    *,
    port: int,
    path: str,
    secret: str,
    rate: float | None = None,
    concurrency: int = 8,
    deadline_s: float = 300.0,
) -> SendLog:
    """POST each event once, freshly signed; at `rate` per second when given, else flat out."""
    log = SendLog()
    lock = threading.Lock()
    cursor = iter(enumerate(events))
    start = time.monotonic()
    stop_at = start + deadline_s

    def next_event() -> tuple[int, Event] | None:
        with lock:
            return next(cursor, None)

    def worker() -> None:
        while (item := next_event()) is not None:
            index, event = item
            if rate:
                delay = start + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if time.monotonic() > stop_at:
                with lock:
                    log.failures.append(event.event_id)
                continue
            began = time.time()
            status, answer, elapsed = _post(port, path, event.body, secret)
            with lock:
                log.sent_at[event.event_id] = began
                if status is None:
                    log.failures.append(event.event_id)
                else:
                    log.statuses[event.event_id] = status
                    log.answers[event.event_id] = answer
                    log.latencies_ms.append(elapsed)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, stop_at - time.monotonic() + 15))
    log.duration_s = time.monotonic() - start
    return log


def _post(port: int, path: str, body: bytes, secret: str) -> tuple[int | None, str, float]:
    headers = signature_headers(body, secret)
    began = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read().decode(errors="replace")
        return response.status, answer, (time.perf_counter() - began) * 1000
    except OSError as error:
        return None, type(error).__name__, (time.perf_counter() - began) * 1000
    finally:
        connection.close()

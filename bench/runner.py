"""Runs the scenarios in order and always cleans up: servers, database, Redis DB 9."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import time
import traceback
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

from bench import access, infra, profiling, report, scenarios
from bench.options import (
    RESULTS_DIR,
    TARGET_ACK_P99_MS,
    TARGET_DRAIN_PER_S,
    TARGET_E2E_P50_MS,
    TARGET_E2E_P99_MS,
    TARGET_INGEST_RATIO,
    Options,
    parse,
)
from bench.servers import RssSampler

LOG_PATTERNS = {
    "traceback": re.compile(r"Traceback"),
    "error": re.compile(r"\bERROR\b|\bCRITICAL\b"),
    "warning": re.compile(r"\bWARNING\b"),
}


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": asdict(opts),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        },
    }
    signal.signal(signal.SIGTERM, _interrupt)
    code = 0
    try:
        with ExitStack() as stack:
            run(opts, stack, results, stamp)
    except KeyboardInterrupt:
        results["error"] = "interrupted"
        print("\n[bench] interrupted: servers stopped, bench database dropped, Redis DB 9 flushed")
        code = 130
    except Exception as error:
        results["error"] = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        code = 1
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    table = build_table(results)
    print()
    print(table)
    for key, phase in (("c_ingest", "ingest (c)"), ("d_drain", "drain (d)")):
        if "profile" in results.get(key, {}):
            print()
            print(profiling.render(f"py-spy, {phase}", results[key]["profile"]))
    results["table"] = table.splitlines()
    path = report.write_json(results, stamp)
    print(f"\nresults: {path}")
    return code


def run(opts: Options, stack: ExitStack, results: dict[str, Any], stamp: str) -> None:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="shopsync-bench-"))
    stack.callback(shutil.rmtree, work, True)
    logs = RESULTS_DIR / f"{stamp}-logs" if opts.keep_logs else work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results["code"] = infra.code_state()
    wrk = infra.ensure_wrk()
    py_spy = infra.ensure_py_spy() if opts.profile else None
    probe = psutil.cpu_percent(interval=2.0)
    results["machine"]["background_cpu_percent_before"] = probe
    results["machine"]["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
    scenarios.progress(f"machine busy {probe:.0f}% before start (other processes' load)")

    infra.ensure_redis_db9_unused()
    infra.flush_redis_db9()
    stack.callback(infra.flush_redis_db9)
    db = infra.ThrowawayDatabase()
    db.create()
    stack.callback(db.drop)
    scenarios.progress(f"created database {db.name}")
    conn = db.connect()
    stack.callback(conn.close)
    stack.callback(scan_logs, logs, results)
    sampler = RssSampler()
    sampler.start()
    stack.callback(sampler.stop)

    profile_dir = RESULTS_DIR / f"{stamp}-profiles"
    if py_spy:
        profile_dir.mkdir(parents=True, exist_ok=True)
        results["profiles_dir"] = str(profile_dir)
    bench = scenarios.Bench(opts, wrk, db, conn, work, logs, stack, sampler, py_spy, profile_dir)
    load: dict[str, Any] = {}
    results["load_during"] = load
    results["notes"] = bench.notes
    psutil.cpu_percent(interval=None)

    def step(name: str, outcome: dict[str, Any]) -> None:
        results[name] = outcome
        load[name] = scenarios.machine_load()

    if opts.access_only:
        step("h_access", access.access_answers(bench, scenarios.start_shopsync(bench)))
        return
    step("a_bare", scenarios.bare(bench))
    step("b_naive", scenarios.naive(bench))
    target = scenarios.start_shopsync(bench)
    step("c_ingest", scenarios.ingest(bench, target))
    results["f_peak_rss_mb"] = {
        "web_bare": results["a_bare"]["peak_rss_mb"],
        "web_naive": results["b_naive"]["peak_rss_mb"],
    }
    if opts.scenarios == "all":
        step("c_backlog", scenarios.drain_backlog(bench, target))
        step("d_drain", scenarios.drain(bench, target))
        step("e_end_to_end", scenarios.end_to_end(bench, target))
        step("g_exactly_once", scenarios.exactly_once(bench, target))
        step("h_access", access.access_answers(bench, target))
        results["f_peak_rss_mb"].update(
            workers_backlog=results["c_backlog"]["peak_rss_mb"],
            workers_drain_and_e2e=sampler.peak_mb("workers-de"),
        )
    results["f_peak_rss_mb"]["web_shopsync"] = sampler.peak_mb("web-shopsync")
    target.server.stop()
    results["duration_s"] = round(time.monotonic() - started, 1)
    after = infra.code_state()
    if after["sha256"] != results["code"]["sha256"]:
        results["code"]["changed_during_run"] = after
        bench.notes.append("shopsync/handlers code CHANGED during the run: figures mix versions")


def scan_logs(logs: Path, results: dict[str, Any]) -> None:
    found: dict[str, dict[str, int]] = {}
    for path in sorted(logs.glob("*.log")):
        text = path.read_text(errors="replace")
        counts = {name: len(pattern.findall(text)) for name, pattern in LOG_PATTERNS.items()}
        if any(counts.values()):
            found[path.name] = counts
            samples = [
                line
                for line in text.splitlines()
                if LOG_PATTERNS["error"].search(line) or LOG_PATTERNS["warning"].search(line)
            ]
            results.setdefault("log_samples", {})[path.name] = samples[:5]
    results["log_findings"] = found


def build_table(results: dict[str, Any]) -> str:
    rows: list[report.Row] = []
    notes: list[str] = []
    base = results.get("a_bare", {}).get("wrk", {}).get("rate")

    def wrk_row(key: str, label: str, target: str = "", check: bool | None = None) -> None:
        data = results.get(key)
        if not data:
            return
        wrk = data["wrk"]
        ratio = wrk["rate"] / base if base else None
        socket_errors = sum(v for k, v in wrk["errors"].items() if k != "status")
        non_2xx = sum(v for s, v in wrk["statuses"].items() if not s.startswith("2"))
        rows.append(
            report.Row(
                scenario=label,
                rate=f"{wrk['rate']:,.0f} req/s",
                ack=report.triple(wrk["latency_ms"]),
                ratio=f"{ratio:.2f}" if ratio else "",
                non_2xx=str(non_2xx + socket_errors),
                rss=f"web {data['peak_rss_mb']}",
                target=target,
                met=report.verdict(check),
            )
        )

    wrk_row("a_bare", "(a) bare Flask `return 200`")
    wrk_row("b_naive", "(b) naive: construct_event+ORM+RQ")
    ingest = results.get("c_ingest")
    if ingest and base:
        wrk = ingest["wrk"]
        ratio_ok = wrk["rate"] / base >= TARGET_INGEST_RATIO
        p99_ok = wrk["latency_ms"]["p99"] <= TARGET_ACK_P99_MS
        wrk_row(
            "c_ingest",
            "(c) shopsync ingest (verify+INSERT+wake)",
            f">={TARGET_INGEST_RATIO:.2f}x(a), p99<={TARGET_ACK_P99_MS:.0f}ms",
            ratio_ok and p99_ok,
        )
    backlog = results.get("c_backlog")
    if backlog:
        rows.append(
            report.Row(
                scenario=f"(c') 2 workers drain (c)'s {backlog['events']:,} (mixed)",
                rate=f"{backlog['rate']:,.0f} ev/s" if backlog["rate"] else "-",
                rss=f"workers {backlog['peak_rss_mb']}",
                target="(information)",
            )
        )
    drain = results.get("d_drain")
    if drain:
        rows.append(
            report.Row(
                scenario=f"(d) drain {drain['events']:,} checkouts+outbox, 2 wk",
                rate=f"{drain['rate_wall']:,.0f} ev/s",
                rss=f"workers {results.get('f_peak_rss_mb', {}).get('workers_drain_and_e2e', '-')}",
                target=f">={TARGET_DRAIN_PER_S:,.0f} ev/s (2 workers)",
                met=report.verdict(drain["done"] and drain["rate_wall"] >= TARGET_DRAIN_PER_S),
            )
        )
        notes.append(
            f"(d) workers started -> last row processed: {drain['wall_s']} s; first to last "
            f"processed_at: {drain['processing_span_s']} s ({drain['rate_span']} ev/s); "
            f"CPU s per worker tree: {drain['worker_cpu_s']}; outbox rows written "
            f"{drain.get('outbox_rows_written')}, all sent {drain.get('outbox_delivered_s')} s "
            "after the workers started"
        )
    e2e = results.get("e_end_to_end")
    if e2e:
        latency = e2e["e2e_ms"]
        p50, p99 = latency.get("p50"), latency.get("p99")
        rows.append(
            report.Row(
                scenario="(e) 100 ev/s, sent->store has order.paid",
                rate=f"{e2e['achieved_rate']:,.0f} ev/s",
                ack=report.triple(e2e["sent"]["ack_ms"]),
                non_2xx=str(
                    sum(v for s, v in e2e["sent"]["statuses"].items() if not s.startswith("2"))
                    + e2e["sent"]["failures"]
                ),
                e2e=report.triple(latency, ("p50", "p99")),
                rss=f"web {results.get('f_peak_rss_mb', {}).get('web_shopsync', '-')}",
                target=f"p50<={TARGET_E2E_P50_MS:.0f}, p99<={TARGET_E2E_P99_MS:.0f}ms",
                met=report.verdict(
                    p50 is not None
                    and p99 is not None
                    and p50 <= TARGET_E2E_P50_MS
                    and p99 <= TARGET_E2E_P99_MS
                    and not e2e.get("order_paid_missing")
                ),
            )
        )
        inbox = report.triple(e2e["inbox_ms"], ("p50", "p99"))
        notes.append(
            f"(e) inbox received->processed p50/p99 {inbox} ms; order.paid not received: "
            f"{e2e.get('order_paid_missing')}"
        )
    audit = results.get("g_exactly_once")
    if audit:
        rows.append(
            report.Row(
                scenario=(
                    f"(g) exactly-once: {audit['events_sent']:,} ev, "
                    f"{audit['orders_expected']:,} orders"
                ),
                target="0 lost/doubled, inbox+outbox",
                met=audit["verdict"],
            )
        )
        bad = {k: v for k, v in audit["problems"].items() if v}
        dup = audit["duplicates"]
        outbox = audit.get("outbox", {})
        bad_out = {k: v for k, v in outbox.get("problems", {}).items() if v}
        mail = " and one email" if results.get("options", {}).get("smtp", True) else ""
        notes.append(
            f"(g) {audit['verdict']}: problems {bad or 'none'}; {dup['sent']} redelivered "
            f"duplicates, {dup['not_answered_duplicate']} not answered 'duplicate'; outbox "
            f"({outbox.get('orders', 0):,} paid orders: one order.paid webhook{mail} each, "
            f"sent once, received once) problems {bad_out or 'none'}, redeliveries "
            f"{outbox.get('redeliveries', '-')}"
        )
    answers = results.get("h_access")
    if answers:
        rows.append(
            report.Row(
                scenario=f"(h) access answers, {answers['customers']:,} customers",
                rate=f"{answers['rate']:,.0f} req/s",
                ack=report.triple(answers["latency_ms"]),
                non_2xx=str(sum(v for s, v in answers["statuses"].items() if s != "200")),
                target=f"p99<={answers['target_p99_ms']:.0f}ms at 200/s",
                met=report.verdict(answers["met"]),
            )
        )
    code = results.get("code", {})
    if code:
        dirty = f", uncommitted: {' '.join(code['uncommitted'])}" if code.get("uncommitted") else ""
        notes.append(f"code measured: commit {code.get('commit')}{dirty}")
    machine = results.get("machine", {})
    threads = results.get("options", {}).get("web_threads", 1)
    workers = "sync workers" if threads <= 1 else f"gthread workers x{threads} threads"
    notes.append(
        f"machine: {machine.get('cpus')} cores; CPU busy "
        f"{machine.get('background_cpu_percent_before', '-')}% before start, load average "
        f"{machine.get('loadavg_before', '-')}; gunicorn -w 2 {workers} for (a) and (b), "
        "(c) as its note says; wrk -t2 -c16"
    )
    load = results.get("load_during", {})
    if load:
        notes.append(
            "CPU busy % per phase: "
            + ", ".join(f"{k} {v['cpu_percent']:.0f}" for k, v in load.items())
        )
    notes += [f"note: {n}" for n in results.get("notes", [])]
    if results.get("log_findings"):
        notes.append(f"server logs: {results['log_findings']}")
    if results.get("error"):
        notes.append(f"RUN DID NOT FINISH: {results['error']}")
    return report.render(rows, notes)

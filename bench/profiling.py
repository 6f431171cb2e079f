"""Optional py-spy sampling of the ingest and drain paths (`--profile`).

Samples include idle time (`--idle`), so a stack waiting on Postgres or Redis counts:
the figures are shares of wall time spent inside the code path, not of CPU only. Only
stacks that contain a scope marker are counted (a request being handled, a drain job
running), which leaves out gunicorn's accept loop and RQ's idle polling.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

WEB_SCOPE = "SyncWorker.handle_request (gunicorn/workers/sync.py"
DRAIN_SCOPE = "drain_inbox (shopsync/jobs.py"
OWN_CODE = re.compile(r"\((shopsync|handlers)/")
_PROCESS_FRAME = re.compile(r"^process \d+:")


class Recorder:
    """`py-spy record` on one process and its children, until `stop()`."""

    def __init__(self, py_spy: str, pid: int, output: Path, rate: int = 100) -> None:
        self.output = output
        self._log = output.with_suffix(".log").open("wb")
        self._popen = subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--function",
                "--subprocesses",
                "--idle",
                "--nonblocking",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def stop(self) -> None:
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGINT)
        try:
            self._popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait(timeout=5)
        self._log.close()


def load_stacks(paths: Iterable[Path]) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = tuple(f for f in stack.split(";") if not _PROCESS_FRAME.match(f))
            stacks[frames] += int(count)
    return stacks


def summarize(paths: Iterable[Path], scope: str, top: int = 15) -> dict[str, Any]:
    """Top frames by self and by inclusive share of the samples inside `scope`."""
    stacks = load_stacks(paths)
    in_scope = {s: n for s, n in stacks.items() if any(f.startswith(scope) for f in s)}
    total = sum(in_scope.values())
    if not total:
        return {"samples": 0, "scope": scope}
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in in_scope.items():
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def shares(counter: Counter[str], keep: int, only_own: bool = False) -> list[dict[str, Any]]:
        rows = [(f, n) for f, n in counter.most_common() if not only_own or OWN_CODE.search(f)]
        return [{"frame": f, "percent": round(100 * n / total, 1)} for f, n in rows[:keep]]

    return {
        "scope": scope,
        "samples": total,
        "self": shares(own, top),
        "inclusive": shares(inclusive, top),
        "inclusive_own_code": shares(inclusive, top, only_own=True),
    }


def render(title: str, summary: dict[str, Any]) -> str:
    if not summary.get("samples"):
        return f"{title}: no samples"
    lines = [f"{title}: {summary['samples']} samples inside {summary['scope']})"]
    for key, label in (
        ("self", "self (leaf) time"),
        ("inclusive_own_code", "shopsync/handlers, inclusive"),
    ):
        lines.append(f"  {label}:")
        lines += [f"    {row['percent']:5.1f}%  {row['frame']}" for row in summary[key][:12]]
    return "\n".join(lines)

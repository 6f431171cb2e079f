"""Processes the benchmark starts: gunicorn, shopsync workers, CLI commands; RSS sampling.

Every long-running process gets its own session (process group) so it can be stopped
as a whole by its own id, and is registered with the runner's clean-up stack.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import psutil

from bench.options import HOST

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = Path(sys.executable).parent
# The reference apps run on gunicorn's defaults, never on shopsync's own settings.
REFERENCE_CONFIG = Path(__file__).resolve().parent / "apps" / "gunicorn_reference.py"
PROJECT_CONFIG = REPO_ROOT / "gunicorn.conf.py"


class Managed:
    """A started process (and its children), logging to a file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            list(argv),
            env=env,
            cwd=REPO_ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        self._stopped = False

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tree(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss(self) -> int:
        total = 0
        for process in self.tree():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def cpu_seconds(self) -> float:
        """CPU used by the process, its live children and the children it has reaped."""
        total = 0.0
        for index, process in enumerate(self.tree()):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += times.user + times.system
            if index == 0:
                total += times.children_user + times.children_system
        return total

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then after `grace` seconds SIGKILL whatever is left of the tree.

        Idempotent. Processes are killed through psutil handles taken while they were
        known to be ours (psutil refuses a pid that was reused since), never by name.
        """
        if self._stopped:
            return
        self._stopped = True
        members = self.tree()
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        if self.alive():
            members += self.tree()
            # Still not reaped, so the group id cannot have been reused: take the group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        for process in members:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running():
                    process.kill()
        if self.alive():
            self.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self._log.close()


def worker_model(threads: int) -> list[str]:
    """gunicorn flags for sync workers (threads <= 1) or gthread workers."""
    if threads <= 1:
        return ["--worker-class", "sync"]
    return ["--worker-class", "gthread", "--threads", str(threads)]


def gunicorn(
    name: str,
    app_spec: str,
    port: int,
    env: dict[str, str],
    log_dir: Path,
    workers: int,
    *,
    config: Path = REFERENCE_CONFIG,
    worker_args: Sequence[str] = (),
) -> Managed:
    """`gunicorn -c config -w N [worker_args]`, bound to 127.0.0.1 only."""
    argv = [
        str(BIN_DIR / "gunicorn"),
        "--config",
        str(config),
        "--workers",
        str(workers),
        *worker_args,
        "--bind",
        f"{HOST}:{port}",
        "--graceful-timeout",
        "5",
        "--timeout",
        "30",
        "--log-level",
        "warning",
        app_spec,
    ]
    server = Managed(name, argv, env, log_dir)
    wait_http_ready(server, port)
    return server


def wait_http_ready(
    server: Managed, port: int, path: str = "/healthz", timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"{server.name} exited at start-up; see {server.log_path}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s")


def shopsync_workers(count: int, env: dict[str, str], log_dir: Path, tag: str) -> list[Managed]:
    return [
        Managed(f"worker-{tag}-{index}", [str(BIN_DIR / "shopsync"), "worker"], env, log_dir)
        for index in range(count)
    ]


def run_cli(args: Sequence[str], env: dict[str, str], timeout: float = 120.0) -> str:
    """Run a `shopsync` command to completion; its stdout."""
    result = subprocess.run(
        [str(BIN_DIR / "shopsync"), *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"shopsync {' '.join(args)} failed: {result.stderr.strip()[-800:]}")
    return result.stdout


class RssSampler(threading.Thread):
    """Samples the summed RSS of groups of process trees; keeps each group's peak."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(name="bench-rss", daemon=True)
        self._interval = interval
        self._groups: dict[str, list[Managed]] = {}
        self._peaks: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop_event = threading.Event()

    def watch(self, group: str, processes: Iterable[Managed]) -> None:
        with self._lock:
            self._groups[group] = list(processes)
            self._peaks.setdefault(group, 0)

    def unwatch(self, group: str) -> None:
        with self._lock:
            self._groups.pop(group, None)

    def peak_mb(self, group: str) -> float | None:
        self.sample()
        with self._lock:
            peak = self._peaks.get(group)
        return None if peak is None else round(peak / 2**20, 1)

    def sample(self) -> None:
        with self._lock:
            groups = {name: list(members) for name, members in self._groups.items()}
        for name, members in groups.items():
            total = sum(member.rss() for member in members)
            with self._lock:
                self._peaks[name] = max(self._peaks.get(name, 0), total)

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()

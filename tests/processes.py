"""Real processes for tests: gunicorn, `shopsync worker`, `shopsync dev`, a TCP proxy."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float = 20.0,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


class Starting:
    """Whether the running test may start a process: only one marked `slow` may, so that
    `-m 'not slow'` is a quick run (tests/conftest.py sets it; outside a test, anything goes)."""

    allowed = True


class Process:
    """A child in its own process group, stopped (group and all) on exit."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path | None = None,
        log: Path | None = None,
        *,
        inherit_env: bool = True,
    ) -> None:
        self.argv, self.cwd, self.log = argv, cwd, log
        self.env = {**os.environ, **env} if inherit_env else dict(env)
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        if not Starting.allowed:
            raise AssertionError("this test starts a process: mark it @pytest.mark.slow")
        output = open(self.log, "wb") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.popen = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def signal_tree(self, signum: int) -> None:
        """Signal the process and every descendant, as a dyno's SIGKILL reaches them all.

        RQ's work-horse starts its own session, so the process group alone misses it.
        """
        try:
            parent = psutil.Process(self.pid)
            family = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(signum)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.signal_group(signal.SIGKILL)  # stragglers such as RQ's scheduler
        return self.popen.returncode

    def __enter__(self) -> Process:
        return self if self.popen is not None else self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 2,
    log: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> tuple[Process, str]:
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        *("--config", str(PROJECT_ROOT / "gunicorn.conf.py")),  # as the Procfile serves it
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--graceful-timeout", "5", *extra_args),
        "shopsync.app:create_app()",
    ]
    process = Process(argv, env, cwd=PROJECT_ROOT, log=log).start()
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_status(base + "/healthz") == 200, what="gunicorn to answer")
    return process, base


def shopsync_worker(env: dict[str, str], log: Path | None = None) -> Process:
    return Process([str(BIN / "shopsync"), "worker"], env, cwd=PROJECT_ROOT, log=log).start()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `close()` makes the target vanish for clients."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def close(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        for sock in [listener, *sockets]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

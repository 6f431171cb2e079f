"""What the benchmark needs around it: wrk, a throwaway Postgres database, Redis DB 9."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys

import psycopg
from psycopg import sql
from redis import Redis

from bench.options import HOST, POSTGRES_ADMIN_URL, POSTGRES_URL_TEMPLATE, REDIS_URL
from bench.servers import REPO_ROOT


class SetupError(RuntimeError):
    """Something the benchmark needs is missing and could not be installed."""


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's package when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: installing Debian's package (apt-get install -y wrk)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        result = subprocess.run(install, env=env, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            raise SetupError(f"could not install wrk: {result.stderr.strip()[-500:]}")
    found = shutil.which("wrk")
    if not found:
        raise SetupError("wrk was installed but is not on PATH")
    return found


def ensure_py_spy() -> str:
    """py-spy in this virtualenv (profiling only; deliberately not in pyproject)."""
    candidate = os.path.join(os.path.dirname(sys.executable), "py-spy")
    if os.path.exists(candidate):
        return candidate
    print("py-spy is missing: pip installing it into the virtualenv", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    return candidate


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class ThrowawayDatabase:
    """`shopsync_bench_<random>` on the local Postgres, dropped by `drop()`."""

    def __init__(self) -> None:
        self.name = f"shopsync_bench_{secrets.token_hex(4)}"
        self.url = POSTGRES_URL_TEMPLATE.format(name=self.name)
        self.created = False

    def create(self) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def drop(self) -> None:
        if not self.created:
            return
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self.created = False


def redis_db9() -> Redis:
    return Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=10)


def ensure_redis_db9_unused() -> None:
    """Refuse to start while another process (another bench run) is connected to DB 9.

    Two runs at once would flush each other's queue and work each other's jobs.
    """
    client = redis_db9()
    try:
        db = client.connection_pool.connection_kwargs.get("db", 0)
        others = [c for c in client.client_list() if int(c.get("db", -1)) == db]
        if len(others) > 1:  # this connection is one of them
            raise RuntimeError(
                f"{len(others) - 1} other connection(s) use Redis DB {db}: another benchmark "
                "is probably running; wait for it to finish"
            )
    finally:
        client.close()


def flush_redis_db9() -> None:
    """Empties DB 9 only (FLUSHDB acts on the selected database)."""
    client = redis_db9()
    try:
        client.flushdb()
    finally:
        client.close()


def code_state() -> dict[str, object]:
    """Which shopsync code is measured: commit, uncommitted changes, and a content hash
    of shopsync/ and handlers/ (compared at the end to catch edits made mid-run)."""
    digest = hashlib.sha256()
    for folder in ("shopsync", "handlers"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.rstrip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted": git("status", "--porcelain", "--", "shopsync", "handlers").splitlines(),
        "sha256": digest.hexdigest()[:16],
    }

"""`shopsync dev`: the whole service on one laptop with no configuration."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click

from shopsync import bootstrap
from shopsync.config import Settings
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.logs import configure_logging
from shopsync.migrate import upgrade
from shopsync.runtime import Runtime

# At the top of the checkout, beside the Procfile that uses it too.
GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
DEMO_FILE = "demo_store.json"
DEMO_STORE_NAME = "Demo store"


def run_dev(*, host: str, port: int) -> None:
    settings = Settings.from_env(
        {**os.environ, "PUBLIC_URL": f"http://{host}:{port}"}
        if "PUBLIC_URL" not in os.environ
        else os.environ
    )
    configure_logging(settings.log_level)
    embedded = None
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.instance_path / "redis").start()
        settings = settings.with_overrides(redis_url=embedded.url)
    children: list[subprocess.Popen[bytes]] = []
    try:
        rt = bootstrap.start(settings)
        upgrade(rt.engine)
        demo = ensure_demo_store(rt)
        children = start_processes(settings, host=host, port=port)
        print_banner(settings, demo)
        wait_for_exit(children)
    finally:
        stop_processes(children)
        if embedded is not None:
            embedded.stop()


def ensure_demo_store(rt: Runtime) -> dict[str, object]:
    """Create the demo store once; its credentials are kept in instance/ for this banner."""
    from shopsync.pipeline.registry import registry
    from shopsync.stores.provisioning import create_store

    path = rt.settings.instance_path / DEMO_FILE
    if path.exists():
        demo: dict[str, object] = json.loads(path.read_text())
        return demo
    created = create_store(
        rt.engine,
        rt.vault,
        registry,
        name=DEMO_STORE_NAME,
        public_url=rt.settings.public_url,
        livemode=False,
    )
    path.write_text(json.dumps(created.as_dict(), indent=2))
    path.chmod(0o600)
    return created.as_dict()


def child_environment(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SHOPSYNC_ENV=settings.env,
        SHOPSYNC_INSTANCE_PATH=str(settings.instance_path),
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url or "",
        SECRET_KEY=settings.secret_key,
        PUBLIC_URL=settings.public_url,
        SHOPSYNC_RELAY_SECONDS=str(int(settings.relay_interval)),
    )
    return env


def start_processes(settings: Settings, *, host: str, port: int) -> list[subprocess.Popen[bytes]]:
    env = child_environment(settings)
    bin_dir = Path(sys.executable).parent
    web = [
        str(bin_dir / "gunicorn"),
        *("--config", str(GUNICORN_CONFIG)),  # the Procfile's settings
        *("--bind", f"{host}:{port}", "--workers", "2", "--access-logfile", "-"),
        "shopsync.app:create_app()",
    ]
    worker = [str(bin_dir / "shopsync"), "worker"]
    # Own process groups: on stop each group gets SIGTERM, as a Heroku dyno's processes do.
    return [subprocess.Popen(cmd, env=env, start_new_session=True) for cmd in (web, worker)]  # noqa: S603


def print_banner(settings: Settings, demo: dict[str, object]) -> None:
    lines = [
        "",
        f"shopsync is running at {settings.public_url}  (Ctrl-C stops everything)",
        f"  health:   {settings.public_url}/healthz",
        f"  database: {settings.database_url}",
        f"  demo store {demo['store_id']} ({demo['name']}), API key: {demo['api_key']}",
    ]
    endpoints = demo.get("endpoints")
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        lines.append(f"  {endpoint['provider']:<12} {endpoint['url']}")
        lines.append(f"  {'':<12} secret: {endpoint['secret']}")
    lines.append(
        "  try:     .venv/bin/shopsync simulate stripe checkout.session.completed --order 1001"
    )
    click.echo("\n".join(lines), err=False)


def wait_for_exit(children: list[subprocess.Popen[bytes]]) -> None:
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)


def stop_processes(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        _signal_group(child.pid, signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(child.pid, signal.SIGKILL)
            child.wait()
    deadline = time.monotonic() + 10
    # Helpers such as RQ's scheduler outlive their parent briefly; let them finish first.
    while any(_group_alive(child.pid) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True

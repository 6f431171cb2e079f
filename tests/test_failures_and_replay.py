"""Failing handlers are retried with backoff, end `dead`, and can be replayed after a fix."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.config import Settings
from shopsync.pipeline import jobs
from shopsync.pipeline.registry import EventContext, registry
from shopsync.runtime import Runtime
from tests.support import deliver, event_statuses, events, make_store, work_queue

FAILING_TYPE = "invoice.payment_action_required"


class Outage:
    """A downstream dependency that is broken until someone fixes it."""

    broken = True


@pytest.fixture
def failing_handler() -> Iterator[type[Outage]]:
    Outage.broken = True

    def charge_downstream(ctx: EventContext) -> None:
        if Outage.broken:
            raise RuntimeError(f"downstream refused {ctx.payload['id']}")

    registry.on("stripe", FAILING_TYPE)(charge_downstream)
    yield Outage
    registry.handlers[("stripe", FAILING_TYPE)].remove(charge_downstream)


@pytest.fixture
def two_attempt_runtime(environ: dict[str, str]) -> Iterator[tuple[FlaskClient, Runtime]]:
    app = create_app(Settings.from_env({**environ, "SHOPSYNC_MAX_ATTEMPTS": "2"}))
    rt: Runtime = app.extensions["shopsync"].runtime
    yield app.test_client(), rt
    rt.close()


def action_required_event() -> dict[str, object]:
    invoice = samples.invoice(
        amount=2000, status="open", subscription_id="sub_1", invoice_id="in_1"
    )
    return samples.event(FAILING_TYPE, invoice, livemode=True)


def test_deterministic_failure_is_retried_then_dead_then_replayed_after_a_fix(
    failing_handler: type[Outage],
    two_attempt_runtime: tuple[FlaskClient, Runtime],
    environ: dict[str, str],
) -> None:
    client, rt = two_attempt_runtime
    store = make_store(rt, name="Failing shop")
    deliver(client, store, "stripe", action_required_event())
    work_queue(rt)
    [first] = events(rt)
    assert (first.status, first.attempts) == ("retry", 1)
    assert first.last_error is not None and first.last_error.startswith("RuntimeError at ")
    assert "in_1" not in first.last_error  # the message may quote payload data: never kept

    time.sleep(1.1)  # the first retry is due after the base delay
    assert jobs.relay() == 1
    work_queue(rt)
    [dead] = events(rt)
    assert (dead.status, dead.attempts) == ("dead", 2)

    failing_handler.broken = False
    result = CliRunner(env=environ).invoke(cli, ["events", "replay", "--status", "dead"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "queued 1 events for replay"
    work_queue(rt)
    assert event_statuses(rt) == ["processed"]


def test_replay_of_a_processed_event_changes_nothing(
    client: FlaskClient, runtime: Runtime, environ: dict[str, str]
) -> None:
    from tests.support import order, timeline

    store = make_store(runtime, name="Replay shop")
    session = samples.checkout_session("P-1", amount=900)
    deliver(
        client, store, "stripe", samples.event("checkout.session.completed", session, livemode=True)
    )
    work_queue(runtime)
    event_id = events(runtime)[0].id
    result = CliRunner(env=environ).invoke(cli, ["events", "replay", str(event_id)])
    assert result.exit_code == 0, result.output
    work_queue(runtime)
    paid = order(runtime, store.id, "P-1")
    assert paid is not None and (paid.state, paid.paid_amount) == ("paid", 900)
    assert timeline(runtime, paid.id) == ["created", "paid"]
    assert event_statuses(runtime) == ["processed"]


def test_events_list_and_show(
    client: FlaskClient, runtime: Runtime, environ: dict[str, str]
) -> None:
    store = make_store(runtime, name="Listing shop")
    deliver(
        client,
        store,
        "stripe",
        samples.event(
            "charge.refunded", samples.charge(amount=100, intent_id="pi_x"), livemode=True
        ),
    )
    runner = CliRunner(env=environ)
    listed = runner.invoke(cli, ["events", "list", "--status", "received"])
    assert "charge.refunded" in listed.output and "received" in listed.output
    shown = runner.invoke(cli, ["events", "show", str(events(runtime)[0].id)])
    assert "event_type    charge.refunded" in shown.output
    assert "pi_x" not in shown.output  # the payload only with --payload
    assert runner.invoke(cli, ["events", "show", "999999"]).exit_code == 1

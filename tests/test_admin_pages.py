"""The admin's pages do what they say: dashboard, events, orders, outbox, settings, stores."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.models import OutboxMessage, Store, WebhookEvent
from shopsync.orders.orders import flag_attention
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from shopsync.work import Cause, unit_of_work
from tests.pages import add_admin, place_order, post_form, sign_in, subscribe, text_of
from tests.support import StoreFixture, deliver, event_statuses, events, work_queue
from tests.test_failures_and_replay import Outage, action_required_event, failing_handler

__all__ = ["failing_handler"]  # a fixture, used by name


@pytest.fixture
def app(environ: dict[str, str]) -> Iterator[Flask]:
    """One attempt per event: a failing handler makes it `dead` at once."""
    application = create_app(Settings.from_env({**environ, "SHOPSYNC_MAX_ATTEMPTS": "1"}))
    yield application
    with application.app_context():
        app_state().runtime.close()


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime, store: StoreFixture) -> FlaskClient:
    add_admin(runtime)
    assert sign_in(client).status_code == 303
    return client


def dead_event(client: FlaskClient, rt: Runtime, store: StoreFixture) -> WebhookEvent:
    deliver(client, store, "stripe", action_required_event())
    work_queue(rt)
    dead = next(e for e in events(rt) if e.status == "dead")
    return dead


def test_the_dashboard_counts_the_last_hour_and_lists_what_needs_attention(
    owner: FlaskClient,
    runtime: Runtime,
    store: StoreFixture,
    failing_handler: type[Outage],
) -> None:
    order = place_order(owner, runtime, store, "1001")
    dead_event(owner, runtime, store)
    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as work:
        flagged = work.session.get(type(order), order.id)
        assert flagged is not None
        flag_attention(work, flagged, "paid 40.00, total 53.50")

    page = text_of(owner.get("/admin/"))

    assert "Needs attention" in page and "1 dead event" in page
    assert "paid 40.00, total 53.50" in page
    recent = page[page.index("Events in the last hour") :]
    assert 'href="/admin/events?provider=standard&amp;status=processed">1</a>' in recent
    assert 'href="/admin/events?provider=stripe&amp;status=dead">1</a>' in recent


def test_events_are_filtered_and_shown_with_their_failure_record(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture, failing_handler: type[Outage]
) -> None:
    place_order(owner, runtime, store, "1001")
    dead = dead_event(owner, runtime, store)

    only_dead = text_of(owner.get("/admin/events?status=dead"))
    assert f'/admin/events/{dead.id}"' in only_dead and "order.created" not in only_dead
    by_provider = text_of(owner.get("/admin/events?provider=standard"))
    assert "order.created" in by_provider and "invoice.payment_action_required" not in by_provider
    by_type = text_of(owner.get("/admin/events?type=order.created"))
    assert "order.created" in by_type and f'/admin/events/{dead.id}"' not in by_type

    detail = text_of(owner.get(f"/admin/events/{dead.id}"))
    assert "Last failure" in detail and "RuntimeError" in detail
    assert "failing_handler.&lt;locals&gt;.charge_downstream" in detail  # the handler
    assert re.search(r"test_failures_and_replay.py:\d+ in charge_downstream", detail)  # trace
    payload = html.unescape(detail)
    assert '"object": "invoice"' in payload and '\n  "type": ' in payload  # indented


def test_replaying_one_dead_event_runs_it_again(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture, failing_handler: type[Outage]
) -> None:
    dead = dead_event(owner, runtime, store)
    failing_handler.broken = False

    response = post_form(owner, f"/admin/events/{dead.id}/replay")
    assert response.status_code == 303
    assert "Queued 1 event for replay." in text_of(owner.get(response.headers["Location"]))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]


def test_replaying_every_dead_event_at_once(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture, failing_handler: type[Outage]
) -> None:
    dead_event(owner, runtime, store)
    dead_event(owner, runtime, store)
    failing_handler.broken = False
    response = post_form(owner, "/admin/events/replay-dead")
    assert "Queued 2 events for replay." in text_of(owner.get(response.headers["Location"]))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]


def test_orders_are_found_by_number_or_email(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(owner, runtime, store, "1001")
    place_order(owner, runtime, store, "2002", email="grace@example.com")

    by_number = text_of(owner.get("/admin/orders?q=1001"))
    assert ">#1001</a>" in by_number and ">#2002</a>" not in by_number
    by_email = text_of(owner.get("/admin/orders?q=GRACE@example"))
    assert ">#2002</a>" in by_email and ">#1001</a>" not in by_email
    assert "No order matches." in text_of(owner.get("/admin/orders?q=%25"))


def test_an_order_shows_its_timeline_causes_messages_and_status_link(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    subscribe(runtime, store, "http://127.0.0.1:9/hooks", "order.paid")
    order = place_order(owner, runtime, store, "1001")
    [created_by] = [e.id for e in events(runtime)]

    page = text_of(owner.get(f"/admin/orders/{order.id}"))

    assert page.count(f'href="/admin/events/{created_by}"') == 2  # created and paid
    assert "Ada Lovelace" in page and "ada.lovelace@example.com" in page
    assert f"http://shop.test/orders/{order.public_token}" in page
    assert "order.paid order #1001" in page  # the store webhook pushed for it
    with Session(runtime.engine) as session:
        [message] = session.exec(select(OutboxMessage)).all()
    assert f'href="/admin/outbox/{message.id}"' in page


def test_settings_are_saved_and_checked(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    saved = post_form(
        owner,
        "/admin/stores/settings",
        name="Corner shop",
        test_mode="on",
        stripe_account_id="acct_1A2b3C",
    )
    assert saved.status_code == 303
    with Session(runtime.engine) as session:
        found = session.get(Store, store.id)
    assert found is not None
    assert (found.name, found.livemode, found.stripe_account_id) == (
        "Corner shop",
        False,
        "acct_1A2b3C",
    )
    refused = post_form(owner, "/admin/stores/settings", name="x", stripe_account_id="nope")
    assert refused.status_code == 422 and "acct_" in text_of(refused)
    assert post_form(owner, "/admin/stores/settings", name=" ").status_code == 422


def test_an_owner_adds_a_store_and_sees_its_credentials_once(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    response = post_form(owner, "/admin/stores/new", name="Second shop")
    page = text_of(response)
    assert response.status_code == 200
    assert "ssk_" in page and "/webhooks/stripe/" in page and "whsec_" in page
    assert response.headers["Cache-Control"] == "no-store"
    dashboard = text_of(owner.get("/admin/"))
    assert "<h1>Second shop</h1>" in dashboard  # now the current store
    assert "ssk_" not in dashboard

"""Mailchimp both ways in: `shopsync mailchimp connect`, and audience webhooks in Mailchimp's
real form encoding, each member re-read from a stand-in for the Marketing API before any
consent changes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jsonschema
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from handlers.mailchimp import samples
from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.clock import utcnow
from shopsync.config import Settings
from shopsync.mailchimp.adapter import subscriber_hash
from shopsync.models import Customer, MailchimpConnection, OutboxMessage
from shopsync.outbox import http
from shopsync.pipeline import jobs
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from shopsync.web.state import app_state
from tests.mailchimp_standin import API_KEY, AUDIENCE_ID, MailchimpStandIn, running_mailchimp
from tests.receivers import Receiver, running_receiver
from tests.support import StoreFixture, event_statuses, events, work_queue

FORM = "application/x-www-form-urlencoded"
JENNY = "jenny.rosen@example.com"
SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "store-webhooks.schema.json").read_text())


@pytest.fixture
def mailchimp() -> Iterator[MailchimpStandIn]:
    with running_mailchimp() as standin:
        yield standin


@pytest.fixture
def mailchimp_environ(environ: dict[str, str], mailchimp: MailchimpStandIn) -> dict[str, str]:
    return {
        **environ,
        "MAILCHIMP_API_BASE": mailchimp.base,
        "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2",
        "SHOPSYNC_OUTBOX_RETRY_SCALE": "0.0001",
    }


@pytest.fixture
def app(mailchimp_environ: dict[str, str]) -> Iterator[Flask]:
    application = create_app(Settings.from_env(mailchimp_environ))
    yield application
    with application.app_context():
        app_state().runtime.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def run(environ: dict[str, str], *args: Any) -> Result:
    return CliRunner(env=environ).invoke(cli, [str(a) for a in args])


@pytest.fixture
def hook_path(
    mailchimp_environ: dict[str, str], mailchimp: MailchimpStandIn, store: StoreFixture
) -> str:
    """The store connected to the stand-in's audience: the path Mailchimp posts to."""
    result = run(
        mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", API_KEY,
        "--audience", AUDIENCE_ID,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [hook] = mailchimp.webhooks[AUDIENCE_ID].values()
    mailchimp.calls.clear()
    return urlsplit(hook["url"]).path


def at(minutes: int) -> str:
    """A `fired_at` some minutes from a fixed point ten minutes ago (Mailchimp's form)."""
    base = utcnow().replace(microsecond=0) - timedelta(minutes=10)
    return (base + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")


def post(
    client: FlaskClient, path: str, event_type: str, email: str, **options: str
) -> TestResponse:
    body = samples.body(event_type, email, list_id=AUDIENCE_ID, **options)
    return client.post(path, data=body, content_type=FORM)


def customer(rt: Runtime, email: str) -> Customer | None:
    with Session(rt.engine) as session:
        return session.exec(select(Customer).where(Customer.email == email)).first()


def subscribe_receiver(rt: Runtime, store: StoreFixture, receiver: Receiver) -> None:
    created = subscribers.add_subscriber(
        rt.engine,
        rt.vault,
        store_id=store.id,
        url=receiver.url,
        event_types=subscribers.parse_event_types("customer.subscribed,customer.unsubscribed"),
        policy=http.TargetPolicy.ANY,
    )
    receiver.secret = created.secret


def test_connect_registers_the_audience_webhook_with_the_api_source_off(
    mailchimp_environ: dict[str, str],
    mailchimp: MailchimpStandIn,
    store: StoreFixture,
    runtime: Runtime,
    client: FlaskClient,
) -> None:
    result = run(
        mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", API_KEY,
        "--audience", AUDIENCE_ID, "--double-opt-in",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "connected to Mailchimp (us21)" in result.output
    assert API_KEY not in result.output
    made = mailchimp.requests_made()
    assert [(method, path) for method, path, _ in made] == [
        ("GET", "/ping"),
        ("GET", f"/lists/{AUDIENCE_ID}"),
        ("POST", f"/lists/{AUDIENCE_ID}/webhooks"),
    ]
    registered = made[-1][2]
    assert registered["sources"] == {"user": True, "admin": True, "api": False}
    assert registered["events"] == dict.fromkeys(
        ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign"), True
    )
    url = urlsplit(registered["url"])
    assert url.netloc == "shop.test" and url.path.startswith("/webhooks/mailchimp/")
    _key, secret = url.path.split("/")[3:]
    assert len(secret) >= 32 and secret not in result.output
    with Session(runtime.engine) as session:
        row = session.get(MailchimpConnection, store.id)
    assert row is not None and API_KEY not in row.api_key_encrypted
    assert (row.audience_id, row.double_opt_in, row.server) == (AUDIENCE_ID, True, "us21")
    # Mailchimp checks the URL with a GET before it saves the webhook.
    assert client.get(url.path).status_code == 200
    status = run(mailchimp_environ, "mailchimp", "status", store.id)
    assert "Juniper & Co. Newsletter" in status.output and secret not in status.output
    again = run(mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", API_KEY)
    assert again.exit_code == 1 and "disconnect it first" in again.output


def test_connect_without_an_audience_lists_them_and_asks_for_one(
    mailchimp_environ: dict[str, str], mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    mailchimp.add_audience("f00dfeed01", "Wholesale buyers")
    result = run(mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", API_KEY)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[:2] == [
        f"{AUDIENCE_ID}  Juniper & Co. Newsletter (0 members)",
        "f00dfeed01  Wholesale buyers (0 members)",
    ]
    assert lines[2].startswith("Error: choose the audience:") and len(lines) == 3
    assert mailchimp.webhooks == {}


def test_a_key_without_a_data_centre_is_refused_before_any_request(
    mailchimp_environ: dict[str, str], mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    result = run(mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", "abc123")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "data centre" in result.output
    assert mailchimp.calls == []


def test_the_validation_get_is_answered_and_nothing_is_stored(
    client: FlaskClient, runtime: Runtime, hook_path: str
) -> None:
    assert client.get(hook_path).status_code == 200
    assert client.head(hook_path).status_code == 200
    assert client.post(hook_path, data=b"", content_type=FORM).status_code == 200
    assert events(runtime) == []


def test_a_wrong_or_missing_second_secret_is_404_and_nothing_is_stored(
    client: FlaskClient, runtime: Runtime, store: StoreFixture, hook_path: str
) -> None:
    wrong = hook_path.rsplit("/", 1)[0] + "/" + "x" * 43
    for path in (wrong, hook_path.rsplit("/", 1)[0], store.path("stripe") + "/extra"):
        response = client.post(path, data=samples.body("subscribe", JENNY), content_type=FORM)
        assert response.status_code == 404, path
    assert client.get(wrong).status_code == 404
    assert events(runtime) == []


def _fields(**changes: str | None) -> bytes:
    fields = dict(samples.fields("subscribe", JENNY, list_id=AUDIENCE_ID))
    for name, value in changes.items():
        key = name if name in ("type", "fired_at") else f"data[{name}]"
        if value is None:
            fields.pop(key)
        else:
            fields[key] = value
    return urlencode(fields).encode()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (_fields(type="upgrade"), FORM),
        (_fields(type=None), FORM),
        (_fields(fired_at="2026-12-01T10:00:00Z"), FORM),
        (_fields(fired_at="2126-12-01 10:00:00"), FORM),
        (_fields(list_id=None), FORM),
        (_fields(list_id="0ther1ist0"), FORM),
        (_fields(email="not an address"), FORM),
        (_fields() + b"&data[email]=again@example.com", FORM),
        (_fields() + b"&extra=1", FORM),
        (_fields() + b"&data[merges]=flat", FORM),
        (_fields() + b"&data[email]=%ff", FORM),
        (json.dumps({"type": "subscribe"}).encode(), "application/json"),
        (samples.body("unsubscribe", JENNY, list_id=AUDIENCE_ID, action="archive"), FORM),
    ],
)
def test_malformed_or_unknown_bodies_are_400_and_nothing_is_stored(
    client: FlaskClient, runtime: Runtime, hook_path: str, body: bytes, content_type: str
) -> None:
    response = client.post(hook_path, data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.json is not None and JENNY not in json.dumps(response.json)
    assert events(runtime) == []


def test_each_event_type_in_mailchimps_form(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, hook_path: str
) -> None:
    mailchimp.set_member(JENNY, "subscribed", first_name="Jenny", last_name="Rosen")
    assert post(client, hook_path, "subscribe", JENNY, when=at(1)).json == {"status": "recorded"}
    work_queue(runtime)
    found = customer(runtime, JENNY)
    assert found is not None and found.marketing_consent is True
    assert (found.name, found.marketing_consent_source) == ("Jenny Rosen", "mailchimp")

    mailchimp.set_member(JENNY, "subscribed", first_name="Jennifer", last_name="Rosen")
    post(client, hook_path, "profile", JENNY, when=at(2))
    work_queue(runtime)
    assert (found := customer(runtime, JENNY)) is not None and found.name == "Jennifer Rosen"

    new = "jenny@rosen.example"
    mailchimp.forget_member(JENNY)
    mailchimp.set_member(new, "subscribed", first_name="Jennifer", last_name="Rosen")
    post(client, hook_path, "upemail", JENNY, new_email=new, when=at(3))
    work_queue(runtime)
    assert customer(runtime, JENNY) is None
    moved = customer(runtime, new)
    assert moved is not None and moved.id == found.id and moved.marketing_consent is True

    mailchimp.set_member(new, "cleaned")
    post(client, hook_path, "cleaned", new, reason="hard", when=at(4))
    post(client, hook_path, "campaign", new, when=at(5))
    work_queue(runtime)
    assert (cleaned := customer(runtime, new)) is not None and cleaned.marketing_consent is False
    assert [(e.event_type, e.status) for e in events(runtime)] == [
        ("subscribe", "processed"),
        ("profile", "processed"),
        ("upemail", "processed"),
        ("cleaned", "processed"),
        ("campaign", "ignored"),
    ]


def test_a_forged_unsubscribe_for_a_subscribed_member_changes_nothing(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, hook_path: str
) -> None:
    mailchimp.set_member(JENNY, "subscribed", first_name="Jenny")
    post(client, hook_path, "subscribe", JENNY, when=at(1))
    post(client, hook_path, "unsubscribe", JENNY, reason="abuse", when=at(2))
    work_queue(runtime)
    found = customer(runtime, JENNY)
    assert found is not None and found.marketing_consent is True
    member_reads = [c for c in mailchimp.calls if "/members/" in c.path]
    assert len(member_reads) == 2
    # A forged subscribe for someone Mailchimp does not know makes no customer either.
    post(client, hook_path, "subscribe", "mallory@example.com", when=at(3))
    work_queue(runtime)
    assert customer(runtime, "mallory@example.com") is None
    assert event_statuses(runtime)[-1] == "ignored"


def test_an_unsubscribe_is_pushed_to_the_stores_subscribers(
    client: FlaskClient,
    runtime: Runtime,
    store: StoreFixture,
    mailchimp: MailchimpStandIn,
    hook_path: str,
    receiver: Receiver,
) -> None:
    subscribe_receiver(runtime, store, receiver)
    mailchimp.set_member(JENNY, "subscribed", first_name="Jenny", last_name="Rosen")
    post(client, hook_path, "subscribe", JENNY, when=at(1))
    work_queue(runtime)
    mailchimp.calls.clear()
    mailchimp.set_member(JENNY, "unsubscribed", first_name="Jenny", last_name="Rosen")
    post(client, hook_path, "unsubscribe", JENNY, reason="manual", when=at(2))
    work_queue(runtime)

    assert [d.type for d in receiver.requests] == ["customer.subscribed", "customer.unsubscribed"]
    assert all(d.verified for d in receiver.requests)
    for delivery in receiver.requests:
        jsonschema.validate(delivery.body, SCHEMA)
    data = receiver.requests[1].body["data"]
    assert data["customer"]["email"] == JENNY and data["marketing_consent"] is False
    assert (data["source"], data["source_event"], data["reason"]) == (
        "mailchimp",
        "unsubscribe",
        "manual",
    )
    # The one request shopsync made to Mailchimp for the unsubscribe: the member re-read.
    member_path = f"/lists/{AUDIENCE_ID}/members/{subscriber_hash(JENNY)}"
    assert mailchimp.requests_made() == [("GET", member_path, None)]
    with Session(runtime.engine) as session:
        pushed = session.exec(select(OutboxMessage)).all()
    assert [m.status for m in pushed] == ["sent", "sent"]


def test_mailchimp_down_retries_the_event_until_it_answers(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, hook_path: str
) -> None:
    mailchimp.set_member(JENNY, "subscribed")
    mailchimp.down = "503"
    post(client, hook_path, "subscribe", JENNY, when=at(1))
    work_queue(runtime)
    [waiting] = events(runtime)
    assert (waiting.status, waiting.attempts) == ("retry", 1)
    assert waiting.last_error is not None and JENNY not in waiting.last_error

    mailchimp.down = None
    # Then a 429 (for the chunk's run and its contained re-run): tried again later too.
    mailchimp.throttle(2)
    time.sleep(1.1)
    assert jobs.relay() == 1
    work_queue(runtime)
    assert event_statuses(runtime) == ["retry"]
    time.sleep(3.1)  # the second retry waits three times the first
    assert jobs.relay() == 1
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    found = customer(runtime, JENNY)
    assert found is not None and found.marketing_consent is True


def test_a_repeated_delivery_is_one_event(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, hook_path: str
) -> None:
    mailchimp.set_member(JENNY, "unsubscribed")
    first = post(client, hook_path, "unsubscribe", JENNY, when=at(1))
    second = post(client, hook_path, "unsubscribe", JENNY.upper(), when=at(1))
    assert (first.json, second.json) == ({"status": "recorded"}, {"status": "duplicate"})
    assert post(client, hook_path, "unsubscribe", JENNY, when=at(2)).json == {"status": "recorded"}
    assert len(events(runtime)) == 2


def test_disconnect_deletes_the_webhook_and_the_old_url_stops_working(
    mailchimp_environ: dict[str, str],
    mailchimp: MailchimpStandIn,
    store: StoreFixture,
    client: FlaskClient,
    hook_path: str,
) -> None:
    result = run(mailchimp_environ, "mailchimp", "disconnect", store.id)
    assert result.exit_code == 0, result.output
    assert "deleted at Mailchimp" in result.output
    [(method, path, _)] = mailchimp.requests_made()
    assert method == "DELETE" and path.startswith(f"/lists/{AUDIENCE_ID}/webhooks/")
    app_state_forget(client)
    assert client.get(hook_path).status_code == 404
    again = run(mailchimp_environ, "mailchimp", "disconnect", store.id)
    assert again.exit_code == 1 and "not connected" in again.output

    # Connected again, its webhook deleted in Mailchimp by hand: disconnecting still works.
    run(mailchimp_environ, "mailchimp", "connect", store.id, "--api-key", API_KEY,
        "--audience", AUDIENCE_ID)  # fmt: skip
    mailchimp.webhooks[AUDIENCE_ID].clear()
    gone = run(mailchimp_environ, "mailchimp", "disconnect", store.id)
    assert gone.exit_code == 0 and "already gone at Mailchimp" in gone.output


def app_state_forget(client: FlaskClient) -> None:
    with client.application.app_context():
        app_state().directory.forget()

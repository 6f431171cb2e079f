"""Access from subscriptions: really-signed Stripe events in, the answer and the pushes out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from shopsync import privacy
from shopsync.outbox import http
from shopsync.outbox.jobs import wake_senders
from shopsync.queue import QUEUE_NAME
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from shopsync.subscriptions import jobs as access_jobs
from shopsync.subscriptions.store_rules import update_access_settings
from shopsync.work import Cause, unit_of_work
from tests.billing import DAY, Billing, ago, outbox, unix
from tests.email_support import mail_app, mail_environ
from tests.mail_server import MailServer, running_mail_server
from tests.receivers import Receiver, running_receiver
from tests.support import StoreFixture, work_queue

ACCESS_EVENTS = "access.granted,access.revoked,access.changed"
SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "store-webhooks.schema.json").read_text())


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def app(environ: dict[str, str], mail: MailServer) -> Iterator[Flask]:
    with mail_app(
        {**mail_environ(environ, mail.url()), "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}
    ) as application:
        yield application


@pytest.fixture
def receiver(runtime: Runtime, store: StoreFixture) -> Iterator[Receiver]:
    with running_receiver() as running:
        created = subscribers.add_subscriber(
            runtime.engine,
            runtime.vault,
            store_id=store.id,
            url=running.url,
            event_types=subscribers.parse_event_types(ACCESS_EVENTS),
            policy=http.TargetPolicy.ANY,
        )
        running.secret = created.secret
        yield running


@pytest.fixture
def billing(client: FlaskClient, store: StoreFixture, runtime: Runtime) -> Billing:
    return Billing(client, store, runtime)


def pushes(receiver: Receiver) -> list[tuple[str, dict[str, object]]]:
    """What the store's system received: verified, in the documented shape."""
    assert all(d.verified for d in receiver.requests)
    for delivery in receiver.requests:
        jsonschema.validate(delivery.body, SCHEMA)
    return [(d.type, d.body["data"]["access"]) for d in receiver.requests]


def emails(rt: Runtime) -> list[str]:
    return [json.loads(m.payload)["moment"] for m in outbox(rt, "email")]


def test_a_renewal_that_failed_then_succeeded_inside_the_grace_period_keeps_access(
    billing: Billing, runtime: Runtime, receiver: Receiver, mail: MailServer
) -> None:
    started = ago(days=31)
    billing.start(started)
    receiver.requests.clear()
    renewal = ago(hours=30)
    period = (renewal, renewal + 30 * DAY)
    billing.send(billing.snapshot("updated", renewal, period=period))
    failed_at = renewal + timedelta(minutes=60)
    billing.send(
        billing.invoice(
            "invoice.payment_failed",
            failed_at,
            invoice_id="in_renew",
            created=renewal,
            period=period,
        )
    )
    billing.send(
        billing.snapshot(
            "updated", failed_at + timedelta(seconds=1), status="past_due", period=period
        )
    )

    in_grace = billing.answer()
    grace_until = (failed_at + 3 * DAY).isoformat().replace("+00:00", "Z")
    assert in_grace["access"] is True
    assert in_grace["status"] == "past_due"
    assert in_grace["grace_until"] == grace_until[:19] + "Z"

    paid_at = ago(hours=2)
    billing.send(
        billing.invoice(
            "invoice.paid", paid_at, invoice_id="in_renew", created=renewal, period=period
        )
    )
    billing.send(billing.snapshot("updated", paid_at, period=period))
    recovered = billing.answer()
    assert recovered == {
        "access": True,
        "status": "active",
        "plan": "pro_monthly",
        "features": ["pro_monthly"],
        "until": None,
        "grace_until": None,
    }
    assert [kind for kind, _ in pushes(receiver)] == ["access.changed", "access.changed"]
    assert pushes(receiver)[0][1]["grace_until"] == in_grace["grace_until"]
    assert pushes(receiver)[1][1] == recovered
    assert emails(runtime) == ["subscription_payment_failed", "subscription_renewed"]
    failed_email = next(r for r in mail.received if "did not go through" in r.subject)
    assert "https://invoice.stripe.com/i/acct_sim/test_in_renew" in failed_email.text


def test_access_ends_when_the_grace_period_ends_with_no_webhook(
    billing: Billing, runtime: Runtime, receiver: Receiver, redis_url: str
) -> None:
    billing.start(ago(days=20))
    receiver.requests.clear()
    failed_at = ago(hours=1)
    billing.send(
        billing.invoice("invoice.payment_failed", failed_at, invoice_id="in_2", created=failed_at)
    )
    billing.send(billing.snapshot("updated", failed_at, status="past_due"))
    grace_until = failed_at.replace(microsecond=0) + 3 * DAY

    with Redis.from_url(redis_url) as redis:
        scheduled: ScheduledJobRegistry = Queue(QUEUE_NAME, connection=redis).scheduled_job_registry
        assert int(scheduled.get_scheduled_time(scheduled.get_job_ids()[0]).timestamp()) == unix(
            grace_until
        )

    assert access_jobs.check_due(runtime.engine, now=grace_until - timedelta(seconds=1)) == []
    posted = access_jobs.check_due(runtime.engine, now=grace_until)
    assert len(posted) == 1
    wake_senders(runtime.redis, posted)
    work_queue(runtime)
    assert access_jobs.check_due(runtime.engine, now=grace_until + DAY) == []
    access_jobs.check_customer(
        runtime.engine, store_id=billing.store.id, customer_id=1, now=grace_until + 2 * DAY
    )
    work_queue(runtime)

    assert [kind for kind, _ in pushes(receiver)] == ["access.changed", "access.revoked"]
    assert pushes(receiver)[-1][1]["access"] is False
    assert emails(runtime) == ["subscription_payment_failed"]


def test_cancel_at_period_end_keeps_access_until_the_period_ends(
    billing: Billing, runtime: Runtime, receiver: Receiver
) -> None:
    start = ago(days=29)
    billing.start(start)
    receiver.requests.clear()
    billing.send(
        billing.snapshot(
            "updated", ago(days=1), period=(start, start + 30 * DAY), cancel_at_period_end=True
        )
    )

    answer = billing.answer()
    period_end = (start + 30 * DAY).replace(microsecond=0)
    assert answer["access"] is True and answer["until"] == period_end.isoformat().replace(
        "+00:00", "Z"
    )
    wake_senders(runtime.redis, access_jobs.check_due(runtime.engine, now=period_end))
    work_queue(runtime)
    assert [kind for kind, _ in pushes(receiver)] == ["access.changed", "access.revoked"]


def test_paused_subscriptions_and_void_collection_pauses_give_no_access_until_resumed(
    billing: Billing, receiver: Receiver
) -> None:
    billing.start(ago(days=10))
    receiver.requests.clear()
    billing.send(billing.snapshot("paused", ago(days=2), status="paused"))
    assert billing.answer()["access"] is False
    billing.send(billing.snapshot("resumed", ago(days=1)))
    assert billing.answer()["access"] is True
    billing.send(
        billing.snapshot(
            "updated",
            ago(hours=1),
            pause_collection={"behavior": "keep_as_draft", "resumes_at": None},
        )
    )
    assert billing.answer()["access"] is True
    billing.send(
        billing.snapshot(
            "updated", ago(minutes=30), pause_collection={"behavior": "void", "resumes_at": None}
        )
    )
    assert billing.answer()["access"] is False
    kinds = [kind for kind, _ in pushes(receiver)]
    assert kinds == ["access.revoked", "access.granted", "access.revoked"]


def test_trial_ending_is_told_once_per_trial(billing: Billing, runtime: Runtime) -> None:
    trial_end = unix(ago(days=-3))
    billing.start(
        ago(days=11), status="trialing", trial_end=trial_end, start_date=unix(ago(days=1))
    )
    warning = billing.snapshot(
        "trial_will_end", ago(minutes=5), status="trialing", trial_end=trial_end
    )
    billing.send(warning)
    billing.send(warning)  # a redelivery
    billing.send(
        billing.snapshot("trial_will_end", ago(minutes=4), status="trialing", trial_end=trial_end)
    )
    assert emails(runtime) == ["subscription_started", "trial_ending"]
    assert billing.answer()["status"] == "trialing"


def test_features_are_the_entitlement_summary_when_the_store_uses_entitlements(
    billing: Billing, runtime: Runtime
) -> None:
    from handlers.stripe import samples

    billing.start(ago(days=5))
    assert billing.answer()["features"] == ["pro_monthly"]
    summary = samples.entitlement_summary(billing.customer, ["api-access", "premium-support"])
    billing.send(
        billing.event("entitlements.active_entitlement_summary.updated", summary, ago(days=4))
    )
    update_access_settings(
        runtime.engine, store_id=billing.store.id, grace_days=None, features="entitlements"
    )
    assert billing.answer()["features"] == ["api-access", "premium-support"]
    older = samples.entitlement_summary(billing.customer, ["api-access"])
    billing.send(
        billing.event("entitlements.active_entitlement_summary.updated", older, ago(days=5))
    )
    assert billing.answer(customer=billing.customer)["features"] == [
        "api-access",
        "premium-support",
    ]


def test_an_event_older_than_the_recorded_snapshot_changes_nothing(billing: Billing) -> None:
    billing.start(ago(days=5))
    billing.send(billing.snapshot("deleted", ago(days=1), status="canceled"))
    billing.send(billing.snapshot("updated", ago(days=2)))  # late, and older
    assert billing.answer()["access"] is False
    assert billing.answer()["status"] == "canceled"


def test_older_api_versions_are_read_too(billing: Billing) -> None:
    """Top-level periods and subscription, legacy plans (older endpoints, localstripe)."""
    at = ago(days=1)
    billing.send(
        billing.invoice(
            "invoice.payment_succeeded",
            at,
            invoice_id="in_legacy",
            legacy=True,
            billing_reason=None,
        )
    )
    billing.send(billing.snapshot("created", at, legacy=True, cancel_at_period_end=True))
    answer = billing.answer()
    assert answer["access"] is True
    assert answer["plan"] == "pro-plan"
    assert answer["until"] == (at + 30 * DAY).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z"
    )


def test_the_answer_needs_the_stores_key_and_one_customer(
    billing: Billing, client: FlaskClient
) -> None:
    assert client.get("/api/v1/access?email=a@example.com").status_code == 401
    auth = {"Authorization": f"Bearer {billing.store.api_key}"}
    assert client.get("/api/v1/access", headers=auth).status_code == 400
    assert client.get("/api/v1/access?email=nope", headers=auth).status_code == 400
    assert client.get("/api/v1/access?customer=acct_1", headers=auth).status_code == 400
    unknown = client.get("/api/v1/access?email=nobody@example.com", headers=auth).get_json()
    assert unknown == {
        "access": False,
        "status": None,
        "plan": None,
        "features": [],
        "until": None,
        "grace_until": None,
    }


def test_a_cached_answer_is_replaced_the_moment_access_changes(
    billing: Billing, redis_url: str
) -> None:
    billing.start(ago(days=5))
    assert billing.answer()["access"] is True
    assert billing.answer(customer=billing.customer)["access"] is True  # both cached now
    with Redis.from_url(redis_url) as redis:
        assert len(redis.keys("shopsync:access:*")) == 2
    billing.send(billing.snapshot("deleted", ago(days=1), status="canceled"))
    assert billing.answer()["access"] is False
    assert billing.answer(customer=billing.customer)["access"] is False


def test_erasing_a_customer_empties_their_subscription_emails(
    billing: Billing, runtime: Runtime, mail: MailServer
) -> None:
    billing.start(ago(days=2))
    written = outbox(runtime, "email")
    assert written and all(m.target == billing.email for m in written)
    with unit_of_work(runtime.engine, store_id=billing.store.id, cause=Cause.cli("test")) as work:
        privacy.redact_customer(work, email=billing.email, order_ids=[])
    for message in outbox(runtime, "email"):
        assert (message.target, message.payload) == ("(erased)", "{}")
        assert billing.email not in message.summary

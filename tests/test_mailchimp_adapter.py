"""The Mailchimp adapter against a local stand-in for the Marketing API: what it sends,
how it reads answers, and how it classifies failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from shopsync.db import transaction
from shopsync.mailchimp import accounts
from shopsync.mailchimp.accounts import MailchimpAccount
from shopsync.mailchimp.adapter import (
    MAX_CONNECTIONS_PER_KEY,
    InvalidApiKey,
    MailchimpApi,
    MailchimpError,
    data_centre,
    subscriber_hash,
)
from shopsync.models import MailchimpConnection
from shopsync.runtime import Runtime
from tests.mailchimp_standin import API_KEY, AUDIENCE_ID, MailchimpStandIn, running_mailchimp
from tests.processes import free_port
from tests.support import StoreFixture


@pytest.fixture
def mailchimp() -> Iterator[MailchimpStandIn]:
    with running_mailchimp() as standin:
        yield standin


def api(standin: MailchimpStandIn) -> MailchimpApi:
    return MailchimpApi(base=standin.base, timeout=2)


def test_the_key_is_checked_and_read_with_basic_auth(mailchimp: MailchimpStandIn) -> None:
    client = api(mailchimp).client(API_KEY)
    client.ping()
    assert client.server == "us21"
    assert mailchimp.requests_made() == [("GET", "/ping", None)]
    with pytest.raises(MailchimpError) as refused:
        api(mailchimp).client("f" * 32 + "-us21").ping()
    assert refused.value.status == 401
    assert not refused.value.transient
    assert "f" * 32 not in str(refused.value)


@pytest.mark.parametrize(
    "key", ["", "abc", "0123456789abcdef0123456789abcdef", "0123456789abcdef-evil.com/x", "k-us1 "]
)
def test_a_key_without_a_data_centre_is_refused_before_any_request(
    mailchimp: MailchimpStandIn, key: str
) -> None:
    with pytest.raises(InvalidApiKey):
        api(mailchimp).client(key)
    assert mailchimp.calls == []
    assert data_centre("0123456789abcdef0123456789abcdef-eu1") == "eu1"


def test_audiences_members_and_webhooks_in_mailchimps_shapes(mailchimp: MailchimpStandIn) -> None:
    client = api(mailchimp).client(API_KEY)
    mailchimp.set_member("Jenny.Rosen@example.com", "unsubscribed", first_name="Jenny")
    [audience] = client.audiences()
    assert (audience.id, audience.name) == (AUDIENCE_ID, "Juniper & Co. Newsletter")
    assert client.audience("nope") is None
    member = client.member(AUDIENCE_ID, "jenny.rosen@example.com")
    assert member is not None and (member.status, member.first_name) == ("unsubscribed", "Jenny")
    assert client.member(AUDIENCE_ID, "nobody@example.com") is None
    hook = client.create_webhook(
        AUDIENCE_ID,
        url="https://shop.example/webhooks/mailchimp/k/s",
        events={"subscribe": True},
        sources={"user": True, "admin": True, "api": False},
    )
    assert client.delete_webhook(AUDIENCE_ID, hook) is True
    assert client.delete_webhook(AUDIENCE_ID, hook) is False
    paths = [path for _method, path, _body in mailchimp.requests_made()]
    assert f"/lists/{AUDIENCE_ID}/members/{subscriber_hash('jenny.rosen@example.com')}" in paths
    assert ("POST", f"/lists/{AUDIENCE_ID}/webhooks") in [
        (m, p) for m, p, _ in mailchimp.requests_made()
    ]


def test_rate_limits_and_outages_are_transient_other_refusals_are_not(
    mailchimp: MailchimpStandIn,
) -> None:
    client = api(mailchimp).client(API_KEY)
    mailchimp.throttle(1)
    with pytest.raises(MailchimpError) as limited:
        client.ping()
    assert (limited.value.status, limited.value.transient) == (429, True)
    client.ping()
    for mode in ("503", "drop"):
        mailchimp.down = mode
        with pytest.raises(MailchimpError) as down:
            client.ping()
        assert down.value.transient, mode
    mailchimp.down = None
    with pytest.raises(MailchimpError) as missing:
        client.call("lists", "get_list_member", "nope", "0" * 32)
    assert (missing.value.status, missing.value.title, missing.value.transient) == (
        404,
        "Resource Not Found",
        False,
    )
    nobody = MailchimpApi(base=f"http://127.0.0.1:{free_port()}", timeout=1).client(API_KEY)
    with pytest.raises(MailchimpError) as refused:
        nobody.ping()
    assert refused.value.transient and refused.value.status is None


def test_at_most_ten_calls_at_once_per_key(mailchimp: MailchimpStandIn) -> None:
    # Long enough that every thread is waiting on a slot even on a busy machine.
    mailchimp.delay = 1.0
    client = MailchimpApi(base=mailchimp.base, timeout=10).client(API_KEY)
    threads = [threading.Thread(target=client.ping) for _ in range(MAX_CONNECTIONS_PER_KEY + 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mailchimp.calls) == MAX_CONNECTIONS_PER_KEY + 5
    assert mailchimp.max_in_flight == MAX_CONNECTIONS_PER_KEY


def test_an_account_keeps_its_key_encrypted(runtime: Runtime, store: StoreFixture) -> None:
    account = MailchimpAccount(
        store_id=store.id, api_key=API_KEY, server="us21", audience_id=AUDIENCE_ID
    )
    with transaction(runtime.engine) as session:
        accounts.save(session, runtime.vault, account)
    with Session(runtime.engine) as session:
        row = session.get(MailchimpConnection, store.id)
        assert row is not None and API_KEY not in row.api_key_encrypted
        loaded = accounts.load(session, runtime.vault, store.id)
    assert loaded is not None
    assert (loaded.api_key, loaded.audience_id, loaded.double_opt_in) == (
        API_KEY,
        AUDIENCE_ID,
        False,
    )
    with transaction(runtime.engine) as session:
        assert accounts.remove(session, store.id) is True
    with Session(runtime.engine) as session:
        assert accounts.load(session, runtime.vault, store.id) is None

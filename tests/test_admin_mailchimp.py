"""The Mailchimp page: a key and an audience connected against a local stand-in for the
Marketing API, the audience chosen from a list, double opt-in, disconnecting; the key
never shown again nor logged; one store's user never reaches another store's account."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from shopsync.mailchimp import connection
from shopsync.models import MailchimpConnection
from shopsync.runtime import Runtime
from tests.mailchimp_standin import API_KEY, AUDIENCE_ID, AUDIENCE_NAME, MailchimpStandIn
from tests.pages import add_admin, csrf_token, post_form, sign_in, text_of
from tests.support import StoreFixture, make_store

PAGE = "/admin/connections/mailchimp"
WHOLESALE = "f00dfeed01"
# A key in Mailchimp's form that the stand-in does not know.
OTHER_KEY = "fedcba9876543210fedcba9876543210-us21"


@pytest.fixture
def mailchimp(mailchimp_api: MailchimpStandIn) -> MailchimpStandIn:
    return mailchimp_api


@pytest.fixture
def extra_environ(mailchimp: MailchimpStandIn) -> dict[str, str]:
    return {"MAILCHIMP_API_BASE": mailchimp.base, "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime, store: StoreFixture) -> FlaskClient:
    add_admin(runtime)
    sign_in(client)
    return client


def account_of(runtime: Runtime, store_id: int) -> MailchimpConnection | None:
    with Session(runtime.engine) as session:
        return session.get(MailchimpConnection, store_id)


def test_strangers_are_sent_to_sign_in_and_reach_nothing(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    assert client.get(PAGE).headers["Location"].startswith("/admin/login")
    token = csrf_token(client)
    for action in ("connect", "audience", "double-opt-in", "disconnect", "forget"):
        data = {"csrf_token": token, "api_key": API_KEY, "audience_id": AUDIENCE_ID}
        refused = client.post(f"{PAGE}/{action}", data=data)
        assert refused.status_code == 303, action
        assert refused.headers["Location"].startswith("/admin/login")
    assert mailchimp.calls == [] and account_of(runtime, store.id) is None


def test_a_form_without_its_csrf_token_is_refused(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    refused = owner.post(f"{PAGE}/connect", data={"api_key": API_KEY, "audience_id": AUDIENCE_ID})
    assert refused.status_code == 400 and "try again" in text_of(refused)
    assert mailchimp.calls == [] and account_of(runtime, store.id) is None


def test_connecting_registers_the_audience_webhook_and_shows_the_account_without_the_key(
    owner: FlaskClient,
    runtime: Runtime,
    mailchimp: MailchimpStandIn,
    store: StoreFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = text_of(owner.get(PAGE))
    assert 'type="password"' in page and "Connect Mailchimp" in page
    caplog.set_level(logging.DEBUG)

    done = post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id=AUDIENCE_ID)
    assert done.status_code == 303

    [(method, path, body)] = [made for made in mailchimp.requests_made() if "webhooks" in made[1]]
    assert (method, path) == ("POST", f"/lists/{AUDIENCE_ID}/webhooks")
    assert body["sources"] == {"user": True, "admin": True, "api": False}
    assert all(body["events"][name] for name in connection.EVENTS)
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == runtime.settings.public_url
    assert url.path.startswith("/webhooks/mailchimp/")
    [hook] = mailchimp.webhooks[AUDIENCE_ID].values()

    page = text_of(owner.get(PAGE))
    assert "Connected to Mailchimp" in page and "badge-connected" in page
    assert AUDIENCE_NAME.replace("&", "&amp;") in page and AUDIENCE_ID in page
    assert hook["id"] in page and "us21" in page and "…cdef-us21" in page
    assert "off: new members from checkouts are subscribed" in page
    assert API_KEY not in page and API_KEY[:-9] not in page
    assert url.path.rsplit("/", 1)[1] not in page  # the URL's secret
    assert API_KEY not in caplog.text and url.path not in caplog.text
    overview = text_of(owner.get("/admin/connections"))
    assert "Manage Mailchimp" in overview and AUDIENCE_NAME.replace("&", "&amp;") in overview


def test_one_audience_alone_is_taken_without_asking(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    done = post_form(owner, f"{PAGE}/connect", api_key=f"  {API_KEY} ", double_opt_in="on")
    assert done.status_code == 303
    assert list(mailchimp.webhooks) == [AUDIENCE_ID]
    account = account_of(runtime, store.id)
    assert account is not None and account.double_opt_in is True


def test_with_several_audiences_the_owner_chooses_one_and_the_key_stays_off_the_page(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    mailchimp.add_audience(WHOLESALE, "Wholesale buyers")
    listed = post_form(owner, f"{PAGE}/connect", api_key=API_KEY, double_opt_in="on")
    assert listed.status_code == 200
    page = text_of(listed)
    assert page.count('type="radio"') == 2
    assert f'value="{WHOLESALE}"' in page and "Wholesale buyers" in page
    assert "checked" in page  # the double opt-in ticked on the first step
    assert API_KEY not in page and API_KEY[:-5] not in page
    assert mailchimp.webhooks == {} and account_of(runtime, store.id) is None

    unchosen = post_form(owner, f"{PAGE}/audience", double_opt_in="on")
    assert unchosen.status_code == 422 and "choose one of the audiences" in text_of(unchosen)
    chosen = post_form(owner, f"{PAGE}/audience", audience_id=WHOLESALE, double_opt_in="on")
    assert chosen.status_code == 303
    assert list(mailchimp.webhooks) == [WHOLESALE]
    page = text_of(owner.get(PAGE))
    assert "Wholesale buyers" in page and "on: new members from checkouts confirm" in page

    # Once connected the held key is gone: choosing again needs the key again.
    post_form(owner, f"{PAGE}/disconnect")
    again = post_form(owner, f"{PAGE}/audience", audience_id=AUDIENCE_ID)
    assert again.status_code == 422 and "paste the API key again" in text_of(again)
    assert account_of(runtime, store.id) is None


@pytest.mark.parametrize(
    ("key", "down", "status", "line"),
    [
        ("abc123", None, 422, "a Mailchimp API key looks like"),
        (API_KEY.replace("-us21", "-mars"), None, 422, "a Mailchimp API key looks like"),
        (OTHER_KEY, None, 422, "Mailchimp refused the key"),
        (API_KEY, "drop", 502, "Mailchimp could not be reached"),
        (API_KEY, "503", 502, "Mailchimp could not be reached"),
    ],
)
def test_each_refusal_is_one_line_on_the_page(
    owner: FlaskClient,
    runtime: Runtime,
    mailchimp: MailchimpStandIn,
    store: StoreFixture,
    caplog: pytest.LogCaptureFixture,
    key: str,
    down: str | None,
    status: int,
    line: str,
) -> None:
    mailchimp.down = down
    refused = post_form(owner, f"{PAGE}/connect", api_key=key, audience_id=AUDIENCE_ID)
    assert refused.status_code == status
    page = text_of(refused)
    [alert] = [row for row in page.splitlines() if 'role="alert"' in row]
    assert f"Not connected: {line}" in alert
    assert key not in page and key not in caplog.text and "Traceback" not in page
    assert account_of(runtime, store.id) is None and mailchimp.webhooks == {}


def test_a_webhook_url_mailchimp_cannot_reach_is_said_and_nothing_is_kept(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    mailchimp.validate_urls = True  # PUBLIC_URL is http://shop.test: nothing answers there
    refused = post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id=AUDIENCE_ID)
    assert refused.status_code == 502
    assert "must reach this deployment&#39;s PUBLIC_URL" in text_of(refused)
    assert mailchimp.webhooks == {} and account_of(runtime, store.id) is None


def test_an_audience_the_account_does_not_have_is_refused(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    refused = post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id="nosuchlist")
    assert refused.status_code == 422
    assert "leave the field empty to choose" in text_of(refused)
    assert mailchimp.webhooks == {} and account_of(runtime, store.id) is None


def test_double_opt_in_is_turned_on_and_off(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id=AUDIENCE_ID)
    assert post_form(owner, f"{PAGE}/double-opt-in", enabled="1").status_code == 303
    account = account_of(runtime, store.id)
    assert account is not None and account.double_opt_in is True
    assert "Turn double opt-in off" in text_of(owner.get(PAGE))
    post_form(owner, f"{PAGE}/double-opt-in", enabled="0")
    account = account_of(runtime, store.id)
    assert account is not None and account.double_opt_in is False
    assert account.webhook_id in mailchimp.webhooks[AUDIENCE_ID]  # the connection stays


def test_disconnecting_deletes_the_webhook_at_mailchimp_and_forgets_the_key(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id=AUDIENCE_ID)
    [hook_id] = mailchimp.webhooks[AUDIENCE_ID]

    mailchimp.down = "503"
    failed = post_form(owner, f"{PAGE}/disconnect")
    assert failed.status_code == 502 and "Not disconnected: Mailchimp could not be" in text_of(
        failed
    )
    assert account_of(runtime, store.id) is not None

    mailchimp.down = None
    done = post_form(owner, f"{PAGE}/disconnect")
    assert done.status_code == 303
    assert ("DELETE", f"/lists/{AUDIENCE_ID}/webhooks/{hook_id}", None) in (
        mailchimp.requests_made()
    )
    assert mailchimp.webhooks[AUDIENCE_ID] == {} and account_of(runtime, store.id) is None
    page = text_of(owner.get(PAGE))
    assert "deleted at Mailchimp" in page and "Connect Mailchimp" in page


def test_a_refused_key_can_be_forgotten_without_mailchimp(
    owner: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    post_form(owner, f"{PAGE}/connect", api_key=API_KEY, audience_id=AUDIENCE_ID)
    mailchimp.api_key = OTHER_KEY  # the key revoked at Mailchimp
    refused = post_form(owner, f"{PAGE}/disconnect")
    assert refused.status_code == 422 and "Mailchimp refused the key" in text_of(refused)
    assert post_form(owner, f"{PAGE}/forget").status_code == 303
    assert account_of(runtime, store.id) is None


def test_a_user_of_one_store_never_reaches_another_stores_mailchimp_account(
    client: FlaskClient, runtime: Runtime, mailchimp: MailchimpStandIn, store: StoreFixture
) -> None:
    other = make_store(runtime, name="Shop B")
    found = connection.connect(
        connection.services_for(runtime),
        store_id=other.id,
        api_key=API_KEY,
        audience_id=AUDIENCE_ID,
        double_opt_in=False,
        public_url=runtime.settings.public_url,
    )
    add_admin(runtime, "a@example.com", stores=[store.id])
    sign_in(client, "a@example.com")

    page = text_of(client.get(PAGE))
    assert found.webhook_id is not None and found.webhook_id not in page
    assert AUDIENCE_ID not in page and "Connect Mailchimp" in page
    token = csrf_token(client, "/admin/")
    for action in ("disconnect", "forget", "double-opt-in"):
        client.post(f"{PAGE}/{action}", data={"csrf_token": token, "enabled": "1"})
    switched = client.post("/admin/stores/switch", data={"csrf_token": token, "store_id": other.id})
    assert switched.status_code == 404
    client.post(f"{PAGE}/disconnect", data={"csrf_token": token})

    assert list(mailchimp.webhooks[AUDIENCE_ID]) == [found.webhook_id]
    account = account_of(runtime, other.id)
    assert account is not None and account.webhook_id == found.webhook_id
    assert account.double_opt_in is False

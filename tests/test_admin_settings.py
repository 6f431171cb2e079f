"""The store's settings pages: emails, branding, access rules, retention; what is refused
changes nothing and says why."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from shopsync.models import StoreSettings
from shopsync.runtime import Runtime
from tests.pages import add_admin, post_form, sign_in, text_of
from tests.support import StoreFixture, make_store


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime, store: StoreFixture) -> FlaskClient:
    add_admin(runtime)
    sign_in(client)
    return client


def settings_row(rt: Runtime, store: StoreFixture) -> StoreSettings | None:
    with Session(rt.engine) as session:
        return session.get(StoreSettings, store.id)


def test_email_moments_sender_and_age_are_saved(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    page = text_of(owner.get("/admin/stores/settings/notifications"))
    assert page.count('name="moments"') == 12 and page.count(" checked") == 12
    saved = post_form(
        owner,
        "/admin/stores/settings/notifications",
        moments=["confirmed", "shipped", "refunded"],
        email_from="Orders@Juniper.example",
        email_from_name="Juniper & Co.",
        reply_to="help@juniper.example",
        max_age_days="5",
    )
    assert saved.status_code == 303
    row = settings_row(runtime, store)
    assert row is not None
    assert set(row.emails_off.split(",")) >= {"delivered", "canceled", "out_for_delivery"}
    assert "confirmed" not in row.emails_off
    assert (row.email_from, row.email_from_name, row.reply_to) == (
        "orders@juniper.example",
        "Juniper & Co.",
        "help@juniper.example",
    )
    assert row.email_max_age_days == 5
    assert text_of(owner.get("/admin/stores/settings/notifications")).count(" checked") == 3


def test_a_refused_value_changes_nothing_and_says_why(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    bad = post_form(
        owner,
        "/admin/stores/settings/notifications",
        moments=["confirmed"],
        email_from="not an address",
        max_age_days="5",
    )
    assert bad.status_code == 422 and "not an email address" in text_of(bad)
    too_old = post_form(owner, "/admin/stores/settings/notifications", max_age_days="999")
    assert too_old.status_code == 422 and "1 to 365 days" in text_of(too_old)
    assert settings_row(runtime, store) is None


@pytest.mark.parametrize(
    "logo",
    [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "//evil.example/x.png",
        "ftp://x.example/l.png",
    ],
)
def test_branding_takes_a_hex_colour_and_only_an_http_logo(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture, logo: str
) -> None:
    refused = post_form(
        owner, "/admin/stores/settings/branding", brand_colour="#0a7d5a", logo_url=logo
    )
    assert refused.status_code == 422 and "http:// or https://" in text_of(refused)
    colour = post_form(owner, "/admin/stores/settings/branding", brand_colour="red", logo_url="")
    assert colour.status_code == 422 and "hex colour" in text_of(colour)
    assert settings_row(runtime, store) is None
    good = post_form(
        owner,
        "/admin/stores/settings/branding",
        brand_colour="#0A7",
        logo_url="https://juniper.example/logo.png",
    )
    assert good.status_code == 303
    row = settings_row(runtime, store)
    assert row is not None and (row.brand_colour, row.logo_url) == (
        "#00aa77",
        "https://juniper.example/logo.png",
    )


def test_access_rules_are_saved_and_retention_is_shown(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    saved = post_form(
        owner, "/admin/stores/settings/access", grace_days="7", features="entitlements"
    )
    assert saved.status_code == 303
    row = settings_row(runtime, store)
    assert row is not None and (row.access_grace_days, row.features_source) == (7, "entitlements")
    refused = post_form(
        owner, "/admin/stores/settings/access", grace_days="61", features="lookup_keys"
    )
    assert refused.status_code == 422 and "0 to 60 days" in text_of(refused)
    odd = post_form(owner, "/admin/stores/settings/access", grace_days="3", features="anything")
    assert odd.status_code == 422
    retention = text_of(owner.get("/admin/stores/settings/retention"))
    assert "kept 30 days" in retention and "SHOPSYNC_RETENTION_DAYS" in retention
    assert "<form" not in retention.split("<main", 1)[1]  # read-only


def test_settings_are_the_current_stores_only(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    other = make_store(runtime, name="Shop B")
    add_admin(runtime, "a@example.com", stores=[other.id])
    sign_in(client, "a@example.com")
    post_form(client, "/admin/stores/settings/access", grace_days="9", features="lookup_keys")
    assert settings_row(runtime, store) is None
    theirs = settings_row(runtime, other)
    assert theirs is not None and theirs.access_grace_days == 9

"""Signing in to the admin: hashed passwords, throttling, safe redirects, secure cookies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.config import Settings
from shopsync.models import AdminUser
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.pages import OWNER, PASSWORD, add_admin, post_form, sign_in, text_of
from tests.support import StoreFixture


def test_the_right_password_signs_in_and_lands_on_the_dashboard(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    add_admin(runtime)
    response = sign_in(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert OWNER in text_of(dashboard) and "Test shop" in text_of(dashboard)


@pytest.mark.parametrize(
    ("email", "password"),
    [(OWNER, "wrong password!"), ("nobody@example.com", PASSWORD), ("not an email", PASSWORD)],
)
def test_a_wrong_email_or_password_gets_the_same_refusal(
    client: FlaskClient, runtime: Runtime, email: str, password: str
) -> None:
    add_admin(runtime)
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert "That email and password do not match an account." in text_of(response)
    assert client.get("/admin/").status_code == 303


def test_passwords_are_stored_as_salted_scrypt_hashes(runtime: Runtime) -> None:
    add_admin(runtime, "a@example.com")
    add_admin(runtime, "b@example.com")
    with Session(runtime.engine) as session:
        hashes = [user.password_hash for user in session.exec(select(AdminUser))]
    assert all(h.startswith("scrypt:") and PASSWORD not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_the_session_cookie_is_httponly_and_samesite_lax(
    client: FlaskClient, runtime: Runtime
) -> None:
    add_admin(runtime)
    cookie = sign_in(client).headers["Set-Cookie"]
    assert cookie.startswith("shopsync_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # twelve hours after the last visit, not "until the browser quits"
    assert "Secure" not in cookie  # http://127.0.0.1 in tests and dev


@pytest.fixture
def https_app(environ: dict[str, str]) -> Iterator[Flask]:
    # Production requires an https PUBLIC_URL; that is what makes the cookie Secure.
    app = create_app(Settings.from_env({**environ, "PUBLIC_URL": "https://shop.test"}))
    yield app
    with app.app_context():
        app_state().runtime.close()


def test_behind_https_the_session_cookie_is_secure(https_app: Flask) -> None:
    runtime = https_app.extensions["shopsync"].runtime
    add_admin(runtime)
    client = https_app.test_client()
    response = sign_in(client)
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]


def test_failed_sign_ins_are_throttled_per_client(client: FlaskClient, runtime: Runtime) -> None:
    add_admin(runtime)
    failures = [sign_in(client, password="wrong password!").status_code for _ in range(5)]
    assert failures == [401] * 5
    throttled = sign_in(client)  # even the right password waits now
    assert throttled.status_code == 429
    assert "Too many attempts" in text_of(throttled)


def test_failed_sign_ins_are_throttled_per_account_from_any_client(
    client: FlaskClient, runtime: Runtime
) -> None:
    add_admin(runtime)

    def attempt(n: int, password: str) -> int:
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{n}"
        return sign_in(client, password=password).status_code

    assert [attempt(n, "wrong password!") for n in range(10)] == [401] * 10
    assert attempt(99, PASSWORD) == 429


def test_successful_sign_ins_are_not_throttled(client: FlaskClient, runtime: Runtime) -> None:
    add_admin(runtime)
    for _ in range(7):
        assert sign_in(client).status_code == 303
        assert post_form(client, "/admin/logout").status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "///evil.example/admin/",
        "/\\evil.example/admin/",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/admin\r\nLocation: https://evil.example",
        " https://evil.example",
        "/healthz",
        "http://shop.test/admin/orders",
    ],
)
def test_after_sign_in_next_never_leads_off_the_admin(
    client: FlaskClient, runtime: Runtime, target: str
) -> None:
    add_admin(runtime)
    response = sign_in(client, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/"


def test_after_sign_in_next_leads_back_to_the_admin_page_asked_for(
    client: FlaskClient, runtime: Runtime
) -> None:
    add_admin(runtime)
    asked = client.get("/admin/orders?q=1001")
    assert asked.headers["Location"] == "/admin/login?next=/admin/orders?q%3D1001"
    response = sign_in(client, next_url="/admin/orders?q=1001")
    assert response.headers["Location"] == "/admin/orders?q=1001"


def test_signing_out_ends_the_session(client: FlaskClient, runtime: Runtime) -> None:
    add_admin(runtime)
    sign_in(client)
    assert post_form(client, "/admin/logout").status_code == 303
    assert client.get("/admin/").status_code == 303


def test_a_new_password_signs_out_every_other_session(
    app: Flask, runtime: Runtime, environ: dict[str, str]
) -> None:
    add_admin(runtime)
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop)
    sign_in(phone)
    result = CliRunner(env=environ).invoke(
        cli, ["admin", "set-password", OWNER], input="a brand new password\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert laptop.get("/admin/").status_code == 303
    assert phone.get("/admin/").status_code == 303
    assert sign_in(laptop, password="a brand new password").status_code == 303


def test_admin_commands_create_list_and_reset_users(
    environ: dict[str, str], runtime: Runtime, store: StoreFixture
) -> None:
    runner = CliRunner(env=environ)
    created = runner.invoke(
        cli,
        ["admin", "create-user", "Staff@Example.com", "--store", str(store.id)],
        input="too short\ntoo short\nlong enough secret\nlong enough secret\n",
    )
    assert created.exit_code == 0, created.output
    assert "the password needs at least 12 characters" in created.output
    assert f"admin user staff@example.com created (stores {store.id})" in created.output
    assert "long enough secret" not in created.output

    owner = runner.invoke(cli, ["admin", "create-user", OWNER], input=f"{PASSWORD}\n" * 2)
    assert "created (every store)" in owner.output

    listed = runner.invoke(cli, ["admin", "list-users"])
    assert "owner@example.com" in listed.output and "every store" in listed.output
    assert f"stores {store.id}" in listed.output and "last sign-in: never" in listed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["admin", "create-user", "not-an-email"], "'not-an-email' is not an email address"),
        (["admin", "create-user", "x@example.com", "--store", "999"], "no store 999"),
        (["admin", "set-password", "nobody@example.com"], "no admin user nobody@example.com"),
    ],
)
def test_admin_command_errors_are_one_line(
    environ: dict[str, str], runtime: Runtime, args: list[str], message: str
) -> None:
    result = CliRunner(env=environ).invoke(cli, args, input=f"{PASSWORD}\n" * 2)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"Error: {message}")
    assert "Traceback" not in result.output


def test_an_existing_user_cannot_be_created_twice(
    environ: dict[str, str], runtime: Runtime
) -> None:
    add_admin(runtime)
    result = CliRunner(env=environ).invoke(
        cli, ["admin", "create-user", OWNER.upper()], input=f"{PASSWORD}\n" * 2
    )
    assert result.exit_code == 1
    assert "already has an account (use admin set-password)" in result.output
    assert "Password" not in result.output  # refused before asking for one

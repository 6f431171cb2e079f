"""SECRET_KEY can be changed: old keys keep decrypting, `secrets rotate` moves everything over."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlmodel import Session, col, select

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.config import Settings
from shopsync.connections import platforms
from shopsync.crypto import Vault
from shopsync.errors import SecretsUnreadable
from shopsync.models import PlatformConnection, StripeConnection, WebhookEndpoint
from shopsync.runtime import Runtime
from tests.support import StoreFixture, deliver, json_body

NEW_KEY = "rotated-key-7fQ2mZ7xLr4TbW1kVn8cHs3YpE6uJd0a"


@contextmanager
def app_with(environ: dict[str, str], **changes: str) -> Iterator[Flask]:
    app = create_app(Settings.from_env({**environ, **changes}))
    try:
        yield app
    finally:
        app.extensions["shopsync"].runtime.close()


def stored_ciphertexts(runtime: Runtime) -> list[tuple[str, str]]:
    with Session(runtime.engine) as session:
        endpoints = session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all()
    return [(e.key_encrypted, e.secrets_encrypted) for e in endpoints]


def an_event() -> dict[str, object]:
    return samples.event("customer.created", {"id": "cus_1"}, livemode=True)


def test_a_changed_key_is_a_503_and_an_unready_service_not_a_500(
    environ: dict[str, str], store: StoreFixture, caplog: pytest.LogCaptureFixture
) -> None:
    with app_with(environ, SECRET_KEY=NEW_KEY) as app:
        client = app.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json == {"database": "ok", "redis": "ok", "secrets": "undecryptable"}
        response = deliver(client, store, "stripe", an_event())
    assert response.status_code == 503
    assert response.json == {"error": "temporarily unavailable, retry later"}
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "refused with 503: stored secrets cannot be decrypted" in line
    assert "SECRET_KEY_FALLBACKS" in line
    assert "Traceback" not in caplog.text and store.secret("stripe") not in caplog.text


def test_the_old_key_as_a_fallback_keeps_deliveries_verified(
    environ: dict[str, str], store: StoreFixture
) -> None:
    with app_with(
        environ, SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=f"older-key,{environ['SECRET_KEY']}"
    ) as app:
        client = app.test_client()
        assert client.get("/readyz").json == {"database": "ok", "redis": "ok", "secrets": "ok"}
        assert deliver(client, store, "stripe", an_event()).status_code == 200


def test_secrets_rotate_moves_every_stored_secret_to_the_new_key(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    before = stored_ciphertexts(runtime)
    result = CliRunner(env={**environ, "SECRET_KEY": NEW_KEY}).invoke(
        cli, ["secrets", "rotate"], env={"SECRET_KEY_FALLBACKS": environ["SECRET_KEY"]}
    )
    assert result.exit_code == 0, result.output
    assert f"re-encrypted {2 * len(before)} stored values" in result.output
    assert "SECRET_KEY_FALLBACKS can now be removed" in result.output
    after = stored_ciphertexts(runtime)
    assert all(
        a != b for pair in zip(before, after, strict=True) for a, b in zip(*pair, strict=True)
    )
    with app_with(environ, SECRET_KEY=NEW_KEY) as app:
        client = app.test_client()
        assert json_body(client.get("/readyz"))["secrets"] == "ok"
        assert deliver(client, store, "stripe", an_event()).status_code == 200
        # The store's own secrets survived the move unchanged.
        assert (
            deliver(client, store, "stripe", an_event(), secret="whsec_" + "0" * 40).status_code
            == 400
        )


def test_secrets_rotate_without_the_old_key_changes_nothing(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    before = stored_ciphertexts(runtime)
    result = CliRunner(env={**environ, "SECRET_KEY": NEW_KEY}).invoke(cli, ["secrets", "rotate"])
    assert isinstance(result.exception, SecretsUnreadable)
    assert stored_ciphertexts(runtime) == before


def test_secrets_rotate_covers_both_stripe_modes_and_platform_credentials(
    environ: dict[str, str], test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    """Each row of a two-column key is re-encrypted with its own values, not its sibling's."""
    store_id = test_mode_store.id
    with Session(runtime.engine) as session, session.begin():
        for live, key in ((True, "sk_live_" + "l" * 24), (False, "sk_test_" + "t" * 24)):
            session.add(
                StripeConnection(
                    store_id=store_id,
                    livemode=live,
                    api_key_encrypted=runtime.vault.encrypt(key),
                    secrets_encrypted=runtime.vault.encrypt_list([f"whsec_{key}"]),
                    endpoint_id=f"we_{live}",
                )
            )
    platforms.save(
        runtime.engine,
        runtime.vault,
        store_id=store_id,
        provider="woocommerce",
        site="https://shop.example",
        credentials={"consumer_key": "ck_" + "k" * 40, "consumer_secret": "cs_" + "s" * 40},
        webhooks={},
    )
    result = CliRunner(env={**environ, "SECRET_KEY": NEW_KEY}).invoke(
        cli, ["secrets", "rotate"], env={"SECRET_KEY_FALLBACKS": environ["SECRET_KEY"]}
    )
    assert result.exit_code == 0, result.output
    new_vault = Vault(NEW_KEY)
    with Session(runtime.engine) as session:
        live_row = session.get(StripeConnection, (store_id, True))
        test = session.get(StripeConnection, (store_id, False))
        [row] = session.exec(select(PlatformConnection)).all()
    assert live_row is not None and test is not None
    assert new_vault.decrypt(live_row.api_key_encrypted) == "sk_live_" + "l" * 24
    assert new_vault.decrypt(test.api_key_encrypted) == "sk_test_" + "t" * 24
    assert new_vault.decrypt_list(test.secrets_encrypted or "") == ["whsec_sk_test_" + "t" * 24]
    assert "ck_" + "k" * 40 in new_vault.decrypt(row.credentials_encrypted)

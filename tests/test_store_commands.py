"""`shopsync store`: create, list, show, secrets, API keys, endpoints, delete."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from handlers.stripe import samples
from shopsync.cli import cli
from shopsync.models import Order, Store, WebhookEndpoint, WebhookEvent
from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.pipeline.registry import registry
from shopsync.runtime import Runtime
from shopsync.stores.provisioning import store_for_api_key
from tests.support import StoreFixture, deliver, work_queue


def run(environ: dict[str, str], *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner(env=environ).invoke(cli, list(args), input=input)
    return result.exit_code, result.output


def accepted_secrets(runtime: Runtime, store: StoreFixture, provider: str) -> tuple[str, ...]:
    directory = EndpointDirectory(runtime.engine, runtime.vault)
    endpoint = directory.lookup(provider, store.path(provider).rsplit("/", 1)[1])
    assert endpoint is not None
    return endpoint.secrets


def b64(size: int) -> str:
    return base64.b64encode(b"k" * size).decode()


@pytest.mark.parametrize(
    ("provider", "secret", "problem"),
    [
        ("shopify", "", "shopify: the secret is empty"),
        ("shopify", "0123456789abcdef", "shopify: the secret is shorter than 32 characters"),
        ("woocommerce", "short-secret", "woocommerce: the secret is shorter than 16"),
        ("woocommerce", "a secret with spaces in it", "contains whitespace"),
        ("easypost", "abc", "easypost: the secret is shorter than 16"),
        ("stripe", "0123456789abcdef0123456789", "does not start with whsec_"),
        ("stripe", "whsec_", "after whsec_ is empty"),
        ("stripe", "whsec_0123", "after whsec_ is shorter than 16"),
        ("standard", "whsec_!!not-base64!!", "is not a Standard Webhooks secret"),
        ("standard", "whsec_" + b64(8), "decodes to fewer than 16 bytes"),
        ("standard", " whsec_" + b64(32), "contains whitespace"),
    ],
)
def test_set_secrets_refuses_a_secret_that_cannot_be_right(
    environ: dict[str, str],
    store: StoreFixture,
    runtime: Runtime,
    provider: str,
    secret: str,
    problem: str,
) -> None:
    code, output = run(environ, "store", "set-secrets", str(store.id), provider, secret)
    assert code == 1
    assert output.count("\n") == 1 and problem in output
    assert accepted_secrets(runtime, store, provider) == (store.secret(provider),)


def test_a_weak_secret_among_a_rotation_changes_nothing(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    good = "whsec_" + "a1B2c3D4e5F6g7H8i9J0"
    code, output = run(environ, "store", "set-secrets", str(store.id), "stripe", good, "whsec_x")
    assert code == 1 and "stripe: secret 2 after whsec_ is shorter than 16" in output
    assert accepted_secrets(runtime, store, "stripe") == (store.secret("stripe"),)


@pytest.mark.parametrize("provider", sorted(registry.providers))
def test_every_provider_accepts_the_secrets_it_generates(provider: str) -> None:
    spec = registry.providers[provider]
    assert spec.check_secret(spec.new_secret()) is None


def test_set_secrets_accepts_real_looking_secrets(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    shopify_key = "shpss_" + "0f" * 16
    code, output = run(environ, "store", "set-secrets", str(store.id), "shopify", shopify_key)
    assert code == 0 and "1 secret(s) accepted" in output
    assert accepted_secrets(runtime, store, "shopify") == (shopify_key,)
    code, output = run(environ, "store", "set-secrets", "999", "stripe", "whsec_" + "x1" * 16)
    assert code == 1 and "store 999 has no stripe endpoint" in output
    code, output = run(environ, "store", "set-secrets", str(store.id), "paypal", "x" * 20)
    assert code == 1 and "no provider 'paypal'" in output


def test_create_says_live_or_test_mode_and_who_issues_each_secret(
    environ: dict[str, str], runtime: Runtime
) -> None:
    code, output = run(environ, "store", "create", "Corner shop")
    assert code == 0, output
    assert "live mode: Stripe test-mode events and test orders are ignored" in output
    assert "Shopify issues the signing key itself" in output
    assert "paste this secret into the Secret field of the webhook's form in WooCommerce" in output
    code, output = run(environ, "store", "create", "Sandbox", "--test-mode", "--json")
    created = json.loads(output)
    assert created["livemode"] is False
    setups = {e["provider"]: e["signing_setup"] for e in created["endpoints"]}
    assert "Shopify issues the signing key" in setups["shopify"]
    assert "set-secrets" in setups["shopify"] and str(created["store_id"]) in setups["shopify"]


def test_list_and_show_build_urls_from_the_current_public_url(
    environ: dict[str, str], store: StoreFixture
) -> None:
    code, output = run(environ, "store", "list")
    assert code == 0 and "Test shop" in output and "live" in output and "stripe" in output
    moved = {**environ, "PUBLIC_URL": "https://shop.example"}
    code, output = run(moved, "store", "show", str(store.id))
    key = store.path("stripe").rsplit("/", 1)[1]
    assert f"https://shop.example/webhooks/stripe/{key}" in output
    assert store.secret("stripe") not in output and "--reveal" in output
    code, output = run(moved, "store", "show", str(store.id), "--reveal", "--json")
    document = json.loads(output)
    by_provider = {e["provider"]: e for e in document["endpoints"]}
    assert by_provider["stripe"]["secrets"] == [store.secret("stripe")]
    assert by_provider["stripe"]["url"] == f"https://shop.example/webhooks/stripe/{key}"
    assert run(environ, "store", "show", "999") == (1, "Error: no store 999\n")


def test_rotate_api_key_replaces_the_key_at_once(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    code, output = run(environ, "store", "rotate-api-key", str(store.id))
    assert code == 0
    new_key = output.rsplit(": ", 1)[1].strip()
    assert new_key.startswith("ssk_")
    assert store_for_api_key(runtime.engine, store.api_key) is None
    assert store_for_api_key(runtime.engine, new_key) is not None


def test_add_endpoint_for_a_provider_added_later(
    environ: dict[str, str], store: StoreFixture, runtime: Runtime
) -> None:
    with Session(runtime.engine) as session:
        endpoint = session.exec(
            select(WebhookEndpoint).where(WebhookEndpoint.provider == "easypost")
        ).one()
        session.delete(endpoint)
        session.commit()
    code, output = run(environ, "store", "add-endpoint", str(store.id), "easypost")
    assert code == 0, output
    assert "new easypost endpoint" in output and "http://shop.test/webhooks/easypost/" in output
    code, output = run(environ, "store", "add-endpoint", str(store.id), "easypost")
    assert code == 1 and "already has a easypost endpoint" in output


def test_delete_asks_first_and_removes_everything_of_that_store_only(
    environ: dict[str, str],
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    test_mode_store: StoreFixture,
) -> None:
    for shop in (store, test_mode_store):
        intent = samples.payment_intent("D-1", amount=1000)
        event = samples.event("payment_intent.succeeded", intent, livemode=shop is store)
        deliver(client, shop, "stripe", event)
        checkout = samples.checkout_session("D-1", amount=1000)
        deliver(client, shop, "stripe", samples.event("checkout.session.completed", checkout))
    work_queue(runtime)
    code, output = run(environ, "store", "delete", str(store.id), input="n\n")
    assert code == 1 and "Aborted" in output
    code, output = run(environ, "store", "delete", str(store.id), "--yes")
    assert code == 0 and f"deleted store {store.id} (Test shop)" in output
    with Session(runtime.engine) as session:
        for column in (Store.id, WebhookEndpoint.store_id, WebhookEvent.store_id, Order.store_id):
            owners = session.exec(select(column)).all()
            assert store.id not in owners and owners, column
        assert session.exec(select(func.count()).select_from(Store)).one() == 1

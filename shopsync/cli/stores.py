"""`shopsync store`: stores, their webhook endpoints, secrets and API keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import click

from shopsync.cli.project import open_project
from shopsync.errors import InvalidSecret
from shopsync.stores.provisioning import EndpointCredentials, ProvisionedStore, UnknownStore

LIVE_MODE = (
    "live mode: Stripe test-mode events and test orders are ignored (--test-mode accepts them)"
)
TEST_MODE = "test mode: test-mode events and test orders are accepted"


@click.group()
def store() -> None:
    """Stores and their webhook endpoints."""


@contextmanager
def _refusals() -> Iterator[None]:
    """A store or secret that is refused is one line, exit 1, and nothing changed."""
    try:
        yield
    except (UnknownStore, InvalidSecret) as refused:
        raise click.ClickException(str(refused).strip("'\"")) from None


@store.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--test-mode", is_flag=True, help="Accept Stripe test-mode events and test orders.")
@click.option("--stripe-account", default=None, help="The store's Connect account id (acct_...).")
def store_create(name: str, as_json: bool, test_mode: bool, stripe_account: str | None) -> None:
    """Create a store with one webhook endpoint per provider and an API key (shown once)."""
    from shopsync.pipeline.registry import registry
    from shopsync.stores.provisioning import create_store

    rt = open_project()
    created = create_store(
        rt.engine,
        rt.vault,
        registry,
        name=name,
        public_url=rt.settings.public_url,
        livemode=not test_mode,
        stripe_account_id=stripe_account,
    )
    if as_json:
        click.echo(json.dumps(created.as_dict(), indent=2))
        return
    _echo_created(created)


def _echo_created(created: ProvisionedStore) -> None:
    click.echo(f"store {created.store_id}: {created.name}")
    click.echo(f"  {LIVE_MODE if created.livemode else TEST_MODE}")
    click.echo(f"API key (shown once): {created.api_key}")
    for endpoint in created.endpoints:
        _echo_endpoint(endpoint)


def _echo_endpoint(endpoint: EndpointCredentials) -> None:
    click.echo(f"  {endpoint.provider:<12} {endpoint.url}")
    click.echo(f"  {'':<12} secret: {endpoint.secret}")
    click.echo(f"  {'':<12} {endpoint.signing_setup}")


@store.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def store_list(as_json: bool) -> None:
    """Every store: id, name, mode and the providers it has endpoints for."""
    from shopsync.stores.listing import list_stores

    stores = list_stores(open_project().engine)
    if as_json:
        click.echo(json.dumps([summary.as_dict() for summary in stores], indent=2))
        return
    if not stores:
        click.echo("no stores yet: `shopsync store create NAME` makes one")
    for summary in stores:
        mode = "live" if summary.livemode else "test"
        providers = ", ".join(summary.providers)
        click.echo(f"{summary.store_id:>6}  {summary.name[:40]:<40} {mode:<5} {providers}")


@store.command("show")
@click.argument("store_id", type=int)
@click.option("--reveal", is_flag=True, help="Also print the signing secrets.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def store_show(store_id: int, reveal: bool, as_json: bool) -> None:
    """One store with its webhook URLs (built from the current PUBLIC_URL)."""
    from shopsync.stores.listing import store_details

    rt = open_project()
    with _refusals():
        details = store_details(
            rt.engine, rt.vault, store_id=store_id, public_url=rt.settings.public_url, reveal=reveal
        )
    if as_json:
        click.echo(json.dumps(details.as_dict(), indent=2))
        return
    summary = details.summary
    click.echo(f"store {summary.store_id}: {summary.name}")
    click.echo(f"  {LIVE_MODE if summary.livemode else TEST_MODE}")
    if summary.stripe_account_id:
        click.echo(f"  Stripe account: {summary.stripe_account_id}")
    for endpoint in details.endpoints:
        click.echo(f"  {endpoint.provider:<12} {endpoint.url}")
        for secret in endpoint.secrets or []:
            click.echo(f"  {'':<12} secret: {secret}")
    if not reveal:
        click.echo("  (signing secrets are shown with --reveal)")


@store.command("set-secrets")
@click.argument("store_id", type=int)
@click.argument("provider")
@click.argument("secrets", nargs=-1, required=True)
def store_set_secrets(store_id: int, provider: str, secrets: tuple[str, ...]) -> None:
    """Replace the signing secrets a store's PROVIDER endpoint accepts (newest first).

    For platforms that issue the key themselves (Shopify's app secret, say), and for
    rolling a secret: give the new and the old one until the old stops being used.
    """
    from shopsync.stores.provisioning import set_secrets

    rt = open_project()
    with _refusals():
        set_secrets(
            rt.engine, rt.vault, store_id=store_id, provider=provider, secrets=list(secrets)
        )
    click.echo(f"store {store_id} {provider}: {len(secrets)} secret(s) accepted")


@store.command("add-endpoint")
@click.argument("store_id", type=int)
@click.argument("provider")
def store_add_endpoint(store_id: int, provider: str) -> None:
    """Add a webhook endpoint for a provider that came after the store was created."""
    from shopsync.stores.provisioning import add_endpoint

    rt = open_project()
    with _refusals():
        endpoint = add_endpoint(
            rt.engine,
            rt.vault,
            store_id=store_id,
            provider_name=provider,
            public_url=rt.settings.public_url,
        )
    click.echo(f"store {store_id}: new {provider} endpoint")
    _echo_endpoint(endpoint)


@store.command("rotate-api-key")
@click.argument("store_id", type=int)
def store_rotate_api_key(store_id: int) -> None:
    """Replace the store's API key; the old one stops working at once."""
    from shopsync.stores.provisioning import rotate_api_key

    rt = open_project()
    with _refusals():
        api_key = rotate_api_key(rt.engine, store_id=store_id)
    click.echo(f"store {store_id}: new API key (shown once): {api_key}")


@store.command("delete")
@click.argument("store_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def store_delete(store_id: int, yes: bool) -> None:
    """Delete a store with its endpoints, events and orders (cannot be undone)."""
    from shopsync.stores.listing import find_store
    from shopsync.stores.removal import delete_store

    rt = open_project()
    with _refusals():
        name = find_store(rt.engine, store_id).name
    if not yes:
        click.confirm(
            f"Delete store {store_id} ({name}) with all its events and orders?", abort=True
        )
    with _refusals():
        deleted = delete_store(rt.engine, store_id=store_id)
    click.echo(f"deleted store {store_id} ({name}) and {deleted - 1} rows that belonged to it")


@store.command("set-account")
@click.argument("store_id", type=int)
@click.argument("provider")
@click.argument("value")
def store_set_account(store_id: int, provider: str, value: str) -> None:
    """Accept a store's PROVIDER deliveries only for this account ("-" accepts any).

    For Shopify VALUE is the shop's myshopify.com domain: deliveries whose
    X-Shopify-Shop-Domain (or, for privacy requests, the signed shop_domain) names
    another shop are refused.
    """
    from shopsync.pipeline.registry import registry
    from shopsync.stores.accounts import AccountNotSupported, set_account_ref

    rt = open_project()
    try:
        account = set_account_ref(
            rt.engine,
            registry,
            store_id=store_id,
            provider=provider,
            value=None if value == "-" else value,
        )
    except AccountNotSupported as error:
        raise click.ClickException(str(error)) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="VALUE") from None
    click.echo(f"store {store_id} {provider}: accepts deliveries for {account or 'any account'}")


COMMANDS = [store]

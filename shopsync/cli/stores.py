"""`shopsync store`: stores, their webhook endpoints and secrets."""

from __future__ import annotations

import json

import click
from sqlalchemy.exc import NoResultFound

from shopsync import bootstrap


@click.group()
def store() -> None:
    """Stores and their webhook endpoints."""


@store.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--test-mode", is_flag=True, help="Accept Stripe test-mode events.")
@click.option("--stripe-account", default=None, help="The store's Connect account id (acct_...).")
def store_create(name: str, as_json: bool, test_mode: bool, stripe_account: str | None) -> None:
    """Create a store with one webhook endpoint per provider and an API key (shown once)."""
    from shopsync.pipeline.registry import registry
    from shopsync.stores.provisioning import create_store

    rt = bootstrap.start()
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
    click.echo(f"store {created.store_id}: {created.name}")
    click.echo(f"API key (shown once): {created.api_key}")
    for endpoint in created.endpoints:
        click.echo(
            f"  {endpoint.provider:<12} {endpoint.url}\n  {'':<12} secret: {endpoint.secret}"
        )


@store.command("set-secrets")
@click.argument("store_id", type=int)
@click.argument("provider")
@click.argument("secrets", nargs=-1, required=True)
def store_set_secrets(store_id: int, provider: str, secrets: tuple[str, ...]) -> None:
    """Replace the signing secrets a store's PROVIDER endpoint accepts (newest first).

    For platforms that issue the key themselves (Shopify's app secret, say), and for
    rolling a secret: give the new and the old one until the old stops being used.
    """
    from shopsync.stores.provisioning import MAX_SECRETS_PER_ENDPOINT, set_secrets

    if len(secrets) > MAX_SECRETS_PER_ENDPOINT:
        raise click.UsageError(f"at most {MAX_SECRETS_PER_ENDPOINT} secrets at once")
    rt = bootstrap.start()
    try:
        set_secrets(
            rt.engine, rt.vault, store_id=store_id, provider=provider, secrets=list(secrets)
        )
    except NoResultFound:
        raise click.ClickException(f"store {store_id} has no {provider} endpoint") from None
    click.echo(f"store {store_id} {provider}: {len(secrets)} secret(s) accepted")


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

    rt = bootstrap.start()
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

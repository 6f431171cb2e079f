"""The `shopsync` command."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy.exc import NoResultFound

from shopsync.config import Settings
from shopsync.errors import ConfigError
from shopsync.logs import configure_logging
from shopsync.runtime import Runtime, activate


def build_runtime() -> Runtime:
    """Settings from the environment, handlers loaded, runtime active for this process."""
    from handlers import load_all

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    load_all()
    return activate(Runtime(settings))


@click.group()
def cli() -> None:
    """shopsync: webhook order sync for online stores."""


@cli.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from shopsync.migrate import upgrade

    rt = build_runtime()
    upgrade(rt.engine)
    click.echo("database is up to date")


@cli.group()
def store() -> None:
    """Stores and their webhook endpoints."""


@store.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--test-mode", is_flag=True, help="Accept Stripe test-mode events.")
@click.option("--stripe-account", default=None, help="The store's Connect account id (acct_...).")
def store_create(name: str, as_json: bool, test_mode: bool, stripe_account: str | None) -> None:
    """Create a store with one webhook endpoint per provider and an API key (shown once)."""
    from shopsync.registry import registry
    from shopsync.stores import create_store

    rt = build_runtime()
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
    from shopsync.stores import MAX_SECRETS_PER_ENDPOINT, set_secrets

    if len(secrets) > MAX_SECRETS_PER_ENDPOINT:
        raise click.UsageError(f"at most {MAX_SECRETS_PER_ENDPOINT} secrets at once")
    rt = build_runtime()
    try:
        set_secrets(
            rt.engine, rt.vault, store_id=store_id, provider=provider, secrets=list(secrets)
        )
    except NoResultFound:
        raise click.ClickException(f"store {store_id} has no {provider} endpoint") from None
    click.echo(f"store {store_id} {provider}: {len(secrets)} secret(s) accepted")


@cli.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker with the scheduler and the relay."""
    from shopsync.worker import run_worker

    run_worker(build_runtime(), burst=burst)


@cli.command()
def relay() -> None:
    """Re-queue events whose wake-up was lost, whose retry is due or whose claim expired."""
    from shopsync import jobs

    build_runtime()
    click.echo(f"re-queued {jobs.relay()} events")


@cli.command()
@click.option("--port", default=5000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Run everything locally: SQLite, embedded Redis, web server and worker."""
    from shopsync.devserver import run_dev

    run_dev(host=host, port=port)


def _add_command_groups() -> None:
    from shopsync.cli_events import events
    from shopsync.cli_simulate import simulate

    cli.add_command(events)
    cli.add_command(simulate)


_add_command_groups()


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as error:
        click.echo(f"configuration error: {error}", err=True)
        sys.exit(2)

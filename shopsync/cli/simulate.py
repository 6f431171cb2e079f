"""`shopsync simulate`: send correctly signed sample events to a running shopsync."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request

import click

from shopsync import bootstrap
from shopsync.dev.mail_hint import MailWatch
from shopsync.dev.server import DEMO_FILE
from shopsync.runtime import current


@click.command()
@click.argument("provider")
@click.argument("event_type")
@click.option("--order", "order_id", default=None, help="Store order id (default: random).")
@click.option("--url", default=None, help="Webhook URL (default: the demo store's).")
@click.option("--secret", default=None, help="Signing secret (default: the demo store's).")
def simulate(
    provider: str, event_type: str, order_id: str | None, url: str | None, secret: str | None
) -> None:
    """Sign a sample EVENT_TYPE from PROVIDER and POST it, as the provider would."""
    from shopsync.pipeline.registry import registry

    rt = bootstrap.start()
    spec = registry.provider(provider)
    if spec is None or spec.sample is None:
        raise click.UsageError(f"no samples for provider {provider!r}")
    demo = url is None
    url, secret = _target(provider, url, secret)
    order_id = order_id or f"sim-{secrets.token_hex(3)}"
    try:
        body = spec.sample(event_type, order_id)
    except KeyError as unknown:
        raise click.UsageError(str(unknown.args[0])) from None
    headers = spec.sign(body, secret, time.time(), "msg_" + secrets.token_hex(12))
    # The demo store lives in this instance's database: its emails can be shown.
    watch = MailWatch(rt.engine) if demo else None
    status, answer = _post(url, body, headers)
    click.echo(f"{event_type} for order {order_id}: HTTP {status} {answer}")
    for email in watch.queued() if watch and status == 200 else []:
        click.echo(
            f"an email to {email.target} was queued ({email.summary}): "
            f"shopsync outbox show {email.id}  (all: shopsync outbox list --kind email)"
        )


def _target(provider: str, url: str | None, secret: str | None) -> tuple[str, str]:
    if url and secret:
        return url, secret
    path = current().settings.instance_path / DEMO_FILE
    if not path.exists():
        raise click.UsageError(
            "no demo store yet: run `shopsync dev` first, or pass --url and --secret"
        )
    demo = json.loads(path.read_text())
    for endpoint in demo["endpoints"]:
        if endpoint["provider"] == provider:
            return url or endpoint["url"], secret or endpoint["secret"]
    raise click.UsageError(f"the demo store has no {provider} endpoint")


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


COMMANDS = [simulate]

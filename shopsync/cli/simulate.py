"""`shopsync simulate`: send correctly signed sample events to a running shopsync."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import click
from sqlmodel import Session, select

from shopsync.cli.project import open_project
from shopsync.dev.demo import load_demo_store
from shopsync.dev.mail_hint import MailWatch
from shopsync.models import Order
from shopsync.pipeline.registry import Provider, registry
from shopsync.runtime import Runtime
from shopsync.stores.listing import store_details


@dataclass(frozen=True)
class Target:
    url: str
    secret: str


@click.command()
@click.argument("provider")
@click.argument("event_type")
@click.option("--order", "order_id", default=None, help="Store order id (default: random).")
@click.option("--url", default=None, help="Webhook URL (default: the demo store's).")
@click.option("--secret", default=None, help="Signing secret (default: the demo store's).")
@click.option("--email", default=None, help="The member's address, for Mailchimp samples.")
def simulate(
    provider: str,
    event_type: str,
    *,
    order_id: str | None,
    url: str | None,
    secret: str | None,
    email: str | None,
) -> None:
    """Sign a sample EVENT_TYPE from PROVIDER and POST it, as the provider would."""
    rt = open_project()
    spec = _provider_with_samples(provider)
    order_id = order_id or f"sim-{secrets.token_hex(3)}"
    steps = [(provider, event_type)]
    if spec.prelude is not None and not (url or secret):
        steps = [*spec.prelude(event_type, order_id, _order_known(rt, order_id)), *steps]
    # The demo store lives in this project's database: the emails it queues can be shown.
    watch = MailWatch(rt.engine) if not (url or secret) else None
    for step_provider, step_type in steps:
        target = _target(rt, step_provider, url, secret)
        # A sample is about an order, or (Mailchimp) about a member's address.
        subject = email or order_id
        status, answer = _post(target.url, _signed(step_provider, step_type, subject, target))
        about = f"member {email}" if email else f"order {order_id}"
        click.echo(f"{step_provider} {step_type} for {about}: HTTP {status} {answer}")
    for queued in watch.queued() if watch else []:
        click.echo(
            f"an email to {queued.target} was queued ({queued.summary}): "
            f"shopsync outbox show {queued.id}  (all: shopsync outbox list --kind email)"
        )


def _provider_with_samples(name: str) -> Provider:
    spec = registry.provider(name)
    if spec is None or spec.sample is None:
        known = ", ".join(sorted(p.name for p in registry.providers.values() if p.sample))
        raise click.UsageError(f"no samples for provider {name!r} (try {known})")
    return spec


def _signed(
    provider: str, event_type: str, order_id: str, target: Target
) -> urllib.request.Request:
    spec = _provider_with_samples(provider)
    assert spec.sample is not None
    try:
        body = spec.sample(event_type, order_id)
    except KeyError as unknown:
        raise click.UsageError(str(unknown.args[0])) from None
    headers = spec.sign(
        body,
        target.secret,
        timestamp=time.time(),
        event_id="msg_" + secrets.token_hex(12),
        event_type=event_type,
    )
    return urllib.request.Request(target.url, data=body, headers=headers, method="POST")  # noqa: S310


def _target(rt: Runtime, provider: str, url: str | None, secret: str | None) -> Target:
    if url and secret:
        return Target(url, secret)
    demo = load_demo_store(rt.settings.instance_path)
    if demo is None:
        raise click.UsageError(
            "no demo store yet: run `shopsync dev` first, or pass --url and --secret"
        )
    details = store_details(
        rt.engine, rt.vault, store_id=demo.store_id, public_url=rt.settings.public_url, reveal=True
    )
    for endpoint in details.endpoints:
        if endpoint.provider == provider and endpoint.secrets:
            return Target(url or endpoint.url, secret or endpoint.secrets[0])
    raise click.UsageError(
        f"the demo store has no {provider} endpoint: "
        f"`shopsync store add-endpoint {demo.store_id} {provider}` adds one"
    )


def _order_known(rt: Runtime, order_id: str) -> bool:
    demo = load_demo_store(rt.settings.instance_path)
    with Session(rt.engine) as session:
        statement = select(Order.id).where(
            Order.store_id == (demo.store_id if demo else 0), Order.external_id == order_id
        )
        return session.exec(statement).first() is not None


def _post(url: str, request: urllib.request.Request) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, _short(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _short(error.read())
    except (urllib.error.URLError, OSError) as error:
        base = url.split("/webhooks/", 1)[0]
        reason = getattr(error, "reason", error)
        raise click.ClickException(
            f"shopsync is not running at {base} ({reason}): start it with `make run` "
            "(or `shopsync dev`) in the project, then try again"
        ) from None


def _short(answer: bytes) -> str:
    text = answer.decode(errors="replace").strip()
    try:
        return json.dumps(json.loads(text))
    except ValueError:
        return text[:200]


COMMANDS = [simulate]

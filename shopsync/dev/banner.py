"""What `shopsync dev` prints once everything runs: where to look and what to try."""

from __future__ import annotations

import click

from shopsync.dev.demo import DemoStore
from shopsync.pipeline.registry import registry
from shopsync.runtime import Runtime
from shopsync.stores.listing import store_details

TRY = ".venv/bin/shopsync simulate stripe checkout.session.completed --order 1001"


def print_banner(rt: Runtime, demo: DemoStore, admin: tuple[str, str]) -> None:
    settings = rt.settings
    details = store_details(
        rt.engine, rt.vault, store_id=demo.store_id, public_url=settings.public_url, reveal=True
    )
    mode = "live" if details.summary.livemode else "test mode: accepts test-mode events"
    lines = [
        "",
        f"shopsync is running at {settings.public_url}  (Ctrl-C stops everything)",
        f"  admin:    {settings.public_url}/admin  sign in as {admin[0]} / {admin[1]}",
        f"  health:   {settings.public_url}/healthz   readiness: {settings.public_url}/readyz",
        f"  database: {settings.database_url}",
        f"  demo store {demo.store_id} ({demo.name}, {mode}), API key: {demo.api_key}",
    ]
    for endpoint in details.endpoints:
        lines.append(f"  {endpoint.provider:<12} {endpoint.url}")
        if _signed(endpoint.provider):  # else the URL itself is the credential
            lines.append(f"  {'':<12} secret: {(endpoint.secrets or ['?'])[0]}")
    smtp = settings.smtp
    if smtp is not None:  # host and port only: the URL may hold a password
        lines.append(
            f"  email:    SMTP {smtp.host}:{smtp.port}; read: shopsync outbox list --kind email"
        )
    lines.append(f"  try:     {TRY}")
    click.echo("\n".join(lines))


def _signed(provider_name: str) -> bool:
    provider = registry.provider(provider_name)
    return provider is None or not provider.secret_in_path

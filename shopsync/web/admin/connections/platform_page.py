"""What the WooCommerce and Shopify pages share: the stored connection, the webhooks as
the platform has them now, and the store's endpoint to paste by hand."""

from __future__ import annotations

from flask import render_template

from shopsync.admin.connections import endpoint_for, remote_webhooks
from shopsync.connections import platforms
from shopsync.web.admin.guard import current_store_id, runtime


def render(provider: str, topics: list[str], status: int, **shown: object) -> tuple[str, int]:
    rt, store_id = runtime(), current_store_id()
    found = platforms.status_of(rt.engine, rt.vault, store_id=store_id, provider=provider)
    remote = remote_webhooks(rt, store_id=store_id, provider=provider) if found.connected else None
    page = render_template(
        f"admin/connections/{provider}.html",
        found=found,
        remote=remote,
        topics=topics,
        endpoint=endpoint_for(rt, store_id=store_id, provider=provider),
        **shown,
    )
    return page, status

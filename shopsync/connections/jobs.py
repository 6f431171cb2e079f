"""Jobs for connected accounts: finishing a Stripe secret roll a day later, and reading a
Checkout order's line items; each with the relay as backstop."""

from __future__ import annotations

import logging
from datetime import datetime

from shopsync import runtime
from shopsync.clock import utcnow
from shopsync.connections import line_items
from shopsync.connections import stripe as stripe_connection
from shopsync.connections.stripe_api import StripeApi
from shopsync.errors import ProviderError
from shopsync.queue import get_queue, job

log = logging.getLogger(__name__)
FETCH_JOB_TIMEOUT = 60


def services() -> stripe_connection.Services:
    rt = runtime.current()
    api = StripeApi(base=rt.settings.stripe_api_base, timeout=rt.settings.outbound_timeout_seconds)
    return stripe_connection.Services(engine=rt.engine, vault=rt.vault, api=api)


@job
def finish_roll(store_id: int, livemode: bool | None = None) -> list[str]:
    """RQ job: delete the old endpoint at Stripe and drop its secret (raises to be retried).

    Without a mode (jobs queued before there were two), every roll of the store.
    """
    modes = (
        [livemode]
        if livemode is not None
        else stripe_connection.rolling_modes(runtime.current().engine, store_id)
    )
    finished = [
        stripe_connection.finish_roll(services(), store_id=store_id, livemode=mode)
        for mode in modes
    ]
    return [old for old in finished if old]


def schedule_finish(store_id: int, livemode: bool, when: datetime) -> None:
    get_queue(runtime.current().redis).enqueue_at(
        when, finish_roll, store_id, livemode, job_timeout=60, result_ttl=0, failure_ttl=86400
    )


@job
def fetch_line_items(order_id: int) -> bool:
    """RQ job: read a Checkout order's line items from Stripe; whether they were filled.

    A failure is kept on the row for the relay to retry later, so the job never raises.
    """
    return line_items.fetch(runtime.current().engine, services(), order_id=order_id)


def enqueue_fetch(order_id: int) -> None:
    get_queue(runtime.current().redis).enqueue(
        fetch_line_items, order_id, job_timeout=FETCH_JOB_TIMEOUT, result_ttl=0, failure_ttl=86400
    )


def relay_due() -> int:
    """Rolls past their day whose job was lost, and line items still owed; a Stripe
    outage waits for the next pass."""
    rt = runtime.current()
    finished = 0
    for store_id, livemode in stripe_connection.rolls_due(rt.engine, utcnow()):
        try:
            finish_roll(store_id, livemode)
            finished += 1
        except ProviderError as error:
            log.warning("secret roll of store %s not finished yet: %s", store_id, error)
    for order_id in line_items.due(rt.engine, now=utcnow()):
        finished += int(line_items.fetch(rt.engine, services(), order_id=order_id))
    return finished

"""Finishing a Stripe secret roll a day later: a scheduled job, with the relay as backstop."""

from __future__ import annotations

import logging
from datetime import datetime

from shopsync import runtime
from shopsync.clock import utcnow
from shopsync.connections import stripe as stripe_connection
from shopsync.connections.stripe_api import StripeApi
from shopsync.errors import ProviderError
from shopsync.pipeline.queue import get_queue

log = logging.getLogger(__name__)


def services() -> stripe_connection.Services:
    rt = runtime.current()
    api = StripeApi(base=rt.settings.stripe_api_base, timeout=rt.settings.outbound_timeout_seconds)
    return stripe_connection.Services(engine=rt.engine, vault=rt.vault, api=api)


def finish_roll(store_id: int) -> str | None:
    """RQ job: delete the old endpoint at Stripe and drop its secret (raises to be retried)."""
    return stripe_connection.finish_roll(services(), store_id=store_id)


def schedule_finish(store_id: int, when: datetime) -> None:
    get_queue(runtime.current().redis).enqueue_at(
        when, finish_roll, store_id, job_timeout=60, result_ttl=0, failure_ttl=86400
    )


def relay_due() -> int:
    """Rolls past their day whose job was lost; a Stripe outage waits for the next pass."""
    finished = 0
    for store_id in stripe_connection.rolls_due(runtime.current().engine, utcnow()):
        try:
            finish_roll(store_id)
            finished += 1
        except ProviderError as error:
            log.warning("secret roll of store %s not finished yet: %s", store_id, error)
    return finished

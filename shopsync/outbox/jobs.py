"""The RQ job that delivers outbox messages, and the relay's pass over the outbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis import Redis

from shopsync import runtime
from shopsync.lanes import Lane
from shopsync.outbox.delivery import deliver
from shopsync.outbox.rows import OUTBOX
from shopsync.queue import job

log = logging.getLogger(__name__)

JOB_SECONDS = 60
BATCH_SIZE = 20
# A batch may wait on slow receivers (15 s each at worst) past the soft deadline.
JOB_TIMEOUT = JOB_SECONDS + BATCH_SIZE * 16


@job
def deliver_outbox() -> int:
    """Send outbox messages woken through Redis until none arrive; returns attempts made."""
    rt = runtime.current()
    LANE.job_started(rt.redis)
    deadline = time.monotonic() + JOB_SECONDS
    attempts = 0
    try:
        while time.monotonic() < deadline:
            ids = LANE.next_batch(rt.redis, rt.settings.drain_linger_seconds)
            if not ids:
                break
            attempts += deliver(rt, ids)
    finally:
        LANE.job_ending(rt.redis)
    return attempts


LANE = Lane(name="outbox", job=deliver_outbox, job_timeout=JOB_TIMEOUT, batch_size=BATCH_SIZE)


def wake_senders(redis: Redis, ids: Sequence[int]) -> None:
    LANE.wake(redis, ids)


def relay_outbox() -> int:
    """Re-queue messages whose wake-up was lost, whose retry is due or whose sender died."""
    rt = runtime.current()
    ids = OUTBOX.take_due(rt.engine, grace=rt.settings.relay_grace)
    if ids:
        log.info("relay re-queued %d outbox messages", len(ids))
        LANE.wake(rt.redis, ids)
    return len(ids)

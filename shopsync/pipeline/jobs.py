"""RQ jobs and how they are scheduled.

Redis carries only wake-ups: the web process pushes new inbox ids onto the inbox's lane
(shopsync.lanes, as the outbox does) and makes sure one `drain_inbox` job is queued. A
drain job works the list in batches, so RQ's ~20 Redis commands per job are paid once per
batch rather than once per event, and it lingers briefly for new arrivals so a steady
trickle is handled without a job each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import Session

from shopsync import runtime, waits
from shopsync.connections import jobs as connection_jobs
from shopsync.lanes import Lane
from shopsync.outbox import jobs as outbox_jobs
from shopsync.pipeline import inbox, redaction, stopping
from shopsync.pipeline.processing import RetryPolicy, process_batch
from shopsync.pipeline.registry import registry
from shopsync.queue import job
from shopsync.subscriptions import jobs as access_jobs

log = logging.getLogger(__name__)

BATCH_SIZE = 100
DRAIN_JOB_SECONDS = 60
DRAIN_JOB_TIMEOUT = DRAIN_JOB_SECONDS + 60


def wake_workers(redis: Redis, ids: Sequence[int]) -> None:
    """Push ids for the workers and queue a drain job unless one is already waiting."""
    LANE.wake(redis, ids)


def enqueue_drain(redis: Redis) -> None:
    LANE.enqueue(redis)


@job
def drain_inbox() -> int:
    """Work inbox ids from Redis until the list stays empty; returns events worked.

    If Redis goes away meanwhile the job ends: what it popped and claimed is handed
    back or done, and the relay re-wakes the rest once Redis is back.
    """
    try:
        return _drain(runtime.current())
    except RedisError as error:
        log.warning("drain ended early: lost Redis (%s)", type(error).__name__)
        return 0


def _drain(rt: runtime.Runtime) -> int:
    redis = rt.redis
    LANE.job_started(redis)
    policy = retry_policy()
    deadline = time.monotonic() + DRAIN_JOB_SECONDS
    worked = 0
    linger = rt.settings.drain_linger_seconds
    try:
        while time.monotonic() < deadline and not stopping.requested():
            ids = LANE.next_batch(redis, linger)
            if not ids:
                break
            result = process_batch(rt.engine, registry, ids, policy, should_stop=stopping.requested)
            worked += len(result.worked)
            _wake_senders(redis, result.posted)
    finally:
        LANE.job_ending(redis)
    return worked


def _wake_senders(redis: Redis, ids: list[int]) -> None:
    # Committed already: if Redis fails now, the relay finds the messages by their due time.
    try:
        outbox_jobs.wake_senders(redis, ids)
    except RedisError as error:
        log.warning("outbox messages saved but Redis is unavailable (%s)", type(error).__name__)


def relay() -> int:
    """Push rows whose wake-up was lost, whose retry is due or whose claim expired."""
    rt = runtime.current()
    unpark_known(rt.engine)
    ids = inbox.take_due(rt.engine, grace=rt.settings.relay_grace)
    if ids:
        log.info("relay re-queued %d events", len(ids))
        wake_workers(rt.redis, ids)
    sent = outbox_jobs.relay_outbox()
    # Access that ended by time alone, when its scheduled check was lost.
    sent += access_jobs.relay_due()
    connection_jobs.relay_due()
    # Last, so a long retention pass never delays a wake-up.
    redaction.redact_if_due(rt)
    return len(ids) + sent


# Inbox ids waiting for a worker, pushed by the web process and the relay.
LANE = Lane(name="inbox", job=drain_inbox, job_timeout=DRAIN_JOB_TIMEOUT, batch_size=BATCH_SIZE)


def unpark_known(engine: Engine) -> int:
    """Parked rows whose wait key has since become known are made due (covers races).

    The domain says which keys are known (shopsync.waits); the inbox only holds them.
    """
    resumed = 0
    for store_id, keys in inbox.parked_keys(engine).items():
        with Session(engine) as session:
            known = waits.known_keys(session, store_id, keys)
        resumed += len(inbox.unpark(engine, store_id, sorted(known)))
    return resumed


def retry_policy() -> RetryPolicy:
    return RetryPolicy.from_settings(runtime.current().settings)

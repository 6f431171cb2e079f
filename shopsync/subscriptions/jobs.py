"""Access ends on time with no webhook: a check scheduled at each deadline, and a backstop.

When a customer's answer will change by time alone (a grace or period end),
`refresh_access` asks, after commit, for a check at that moment: an RQ job queued with
`enqueue_at` (the worker runs RQ's scheduler). The relay's pass is the backstop: it
checks every customer whose `next_check_at` has passed, so a lost job, a Redis flush or
a worker that was down only delays the check by one relay period. Checks are idempotent:
a second one finds nothing changed and tells nobody.
"""

from __future__ import annotations

import logging
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync import runtime
from shopsync.clock import utcnow
from shopsync.models import CustomerAccess
from shopsync.outbox import jobs as outbox_jobs
from shopsync.queue import get_queue, job
from shopsync.subscriptions.answers import refresh_access
from shopsync.work import Cause, unit_of_work

log = logging.getLogger(__name__)
CHECK_JOB_TIMEOUT = 60
DUE_BATCH = 100
CAUSE = "access check"


@job
def check_access(store_id: int, customer_id: int) -> bool:
    """RQ job: work out one customer's access now; whether it changed."""
    rt = runtime.current()
    posted = check_customer(rt.engine, store_id=store_id, customer_id=customer_id, now=utcnow())
    _wake(posted)
    return bool(posted)


def schedule_check(store_id: int, customer_id: int, when: datetime) -> None:
    """Queue `check_access` for `when` (after the commit that set the deadline)."""
    get_queue(runtime.current().redis).enqueue_at(
        when,
        check_access,
        store_id,
        customer_id,
        job_timeout=CHECK_JOB_TIMEOUT,
        result_ttl=0,
        failure_ttl=86400,
    )


def check_customer(engine: Engine, *, store_id: int, customer_id: int, now: datetime) -> list[int]:
    """Refresh one customer's access as of `now`; the outbox messages it posted."""
    with unit_of_work(engine, store_id=store_id, cause=Cause.schedule(CAUSE), at=now) as work:
        refresh_access(work, customer_id, now=now)
    return work.posted


def check_due(engine: Engine, *, now: datetime, limit: int = DUE_BATCH) -> list[int]:
    """The relay's backstop: check customers whose deadline passed; the messages posted."""
    statement = (
        select(CustomerAccess.store_id, CustomerAccess.customer_id)
        .where(col(CustomerAccess.next_check_at) <= now)
        .order_by(col(CustomerAccess.next_check_at))
        .limit(limit)
    )
    with Session(engine) as session:
        due = list(session.exec(statement))
    posted: list[int] = []
    for store_id, customer_id in due:
        posted += check_customer(engine, store_id=store_id, customer_id=customer_id, now=now)
    if due:
        log.info("access checked for %d customers past a deadline", len(due))
    return posted


def relay_due() -> int:
    """The relay's pass: due checks now, their messages woken."""
    rt = runtime.current()
    posted = check_due(rt.engine, now=utcnow())
    _wake(posted)
    return len(posted)


def _wake(posted: list[int]) -> None:
    if not posted:
        return
    # Committed already: if Redis fails now, the outbox relay finds them by their due time.
    try:
        outbox_jobs.wake_senders(runtime.current().redis, posted)
    except RedisError as error:
        log.warning("access messages saved but Redis is unavailable (%s)", type(error).__name__)

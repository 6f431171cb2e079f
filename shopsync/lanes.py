"""Waking workers through Redis: a list of row ids and at most one waiting job per lane.

The database holds the rows; Redis only says "there is work". A lane is a Redis list of
row ids plus a flag that is set while one of its jobs is queued but not started, so a
burst of arrivals queues one job, not one each. The job pops ids in batches and lingers
briefly for more; a full batch asks for one more job, so idle workers join a backlog.
Ids lost with Redis are found again by the relay (rows carry `next_attempt_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis import Redis

from shopsync.queue import get_queue

PENDING_TTL_SECONDS = 60


@dataclass(frozen=True)
class Lane:
    """One kind of work: its id list, its pending-job flag and the job that drains it."""

    name: str
    job: Callable[[], int]
    job_timeout: int
    batch_size: int = 100

    @property
    def list_key(self) -> str:
        return f"shopsync:{self.name}"

    @property
    def pending_key(self) -> str:
        return f"shopsync:{self.name}:job-pending"

    def wake(self, redis: Redis, ids: Sequence[int]) -> None:
        """Push ids for the workers and queue a job unless one is already waiting."""
        if not ids:
            return
        pipe = redis.pipeline(transaction=False)
        pipe.rpush(self.list_key, *ids)
        pipe.set(self.pending_key, 1, nx=True, ex=PENDING_TTL_SECONDS)
        _, job_needed = pipe.execute()
        if job_needed:
            self.enqueue(redis)

    def ask_for_help(self, redis: Redis) -> None:
        """Queue one more job unless one is already waiting: an idle worker joins in."""
        if redis.set(self.pending_key, 1, nx=True, ex=PENDING_TTL_SECONDS):
            self.enqueue(redis)

    def enqueue(self, redis: Redis) -> None:
        get_queue(redis).enqueue(
            self.job, job_timeout=self.job_timeout, result_ttl=0, failure_ttl=86400
        )

    def job_started(self, redis: Redis) -> None:
        # Clearing the flag first lets the next arrival queue another job, which a second
        # idle worker picks up: that is how lanes are worked in parallel.
        redis.delete(self.pending_key)

    def next_batch(self, redis: Redis, linger: int) -> list[int]:
        """Up to a batch of ids, waiting up to `linger` seconds when there are none."""
        raw = redis.lpop(self.list_key, self.batch_size)
        if not raw and linger > 0:
            popped = redis.blpop([self.list_key], timeout=linger)
            raw = [popped[1]] if popped else []
        ids = sorted({int(value) for value in raw or []})
        if len(ids) == self.batch_size:
            # A backlog: without new arrivals nobody else would queue a job.
            self.ask_for_help(redis)
        return ids

    def waiting(self, redis: Redis) -> int:
        return int(redis.llen(self.list_key))

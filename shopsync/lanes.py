"""Waking workers through Redis: a list of row ids, and a job per lane only when needed.

The database holds the rows; Redis only says "there is work". A lane is a Redis list of
row ids plus two flags:
- *active*, set while one of the lane's jobs is queued or running (each batch renews it,
  so a job that died lets it lapse within ACTIVE_TTL_SECONDS). An arrival queues a job
  only when no job is active: a steady trickle is worked by the one job that lingers
  for it, and never queues jobs that would wait behind it while another lane's job (an
  outbox delivery right after its order commits) waits for a worker.
- *help*, set while a helper job is queued but not started: a full batch means a
  backlog, and asks for one more job so an idle worker joins in.
A job that ends clears *active* and then looks at the list once more, so an id pushed
while it was ending is never left without a job (the arrival either saw no active job
and queued one, or was pushed before the job looked).
Ids lost with Redis are found again by the relay (rows carry `next_attempt_at`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis import Redis

from shopsync.queue import get_queue

# A job renews its lane's active flag every batch; a batch that takes longer (slow
# receivers) lets a second job start, which is what a slow batch should get anyway.
ACTIVE_TTL_SECONDS = 10
HELP_TTL_SECONDS = 60


@dataclass(frozen=True)
class Lane:
    """One kind of work: its id list, its flags and the job that drains it."""

    name: str
    job: Callable[[], int]
    job_timeout: int
    batch_size: int = 100

    @property
    def list_key(self) -> str:
        return f"shopsync:{self.name}"

    @property
    def active_key(self) -> str:
        return f"shopsync:{self.name}:job-active"

    @property
    def help_key(self) -> str:
        return f"shopsync:{self.name}:help-pending"

    def wake(self, redis: Redis, ids: Sequence[int]) -> None:
        """Push ids for the workers and queue a job unless one is active."""
        if not ids:
            return
        pipe = redis.pipeline(transaction=False)
        pipe.rpush(self.list_key, *ids)
        pipe.set(self.active_key, 1, nx=True, ex=ACTIVE_TTL_SECONDS)
        _, job_needed = pipe.execute()
        if job_needed:
            self.enqueue(redis)

    def ask_for_help(self, redis: Redis) -> None:
        """Queue one more job unless a helper is already waiting: an idle worker joins in."""
        if redis.set(self.help_key, 1, nx=True, ex=HELP_TTL_SECONDS):
            self.enqueue(redis)

    def enqueue(self, redis: Redis) -> None:
        get_queue(redis).enqueue(
            self.job, job_timeout=self.job_timeout, result_ttl=0, failure_ttl=86400
        )

    def job_started(self, redis: Redis) -> None:
        # A helper that starts lets the next full batch ask for another one.
        pipe = redis.pipeline(transaction=False)
        pipe.delete(self.help_key)
        pipe.set(self.active_key, 1, ex=ACTIVE_TTL_SECONDS)
        pipe.execute()

    def job_ending(self, redis: Redis) -> None:
        """Clear the active flag; ids pushed meanwhile get a job (see the module)."""
        redis.delete(self.active_key)
        if self.waiting(redis) and redis.set(self.active_key, 1, nx=True, ex=ACTIVE_TTL_SECONDS):
            self.enqueue(redis)

    def next_batch(self, redis: Redis, linger: int) -> list[int]:
        """Up to a batch of ids, waiting up to `linger` seconds when there are none."""
        pipe = redis.pipeline(transaction=False)
        pipe.set(self.active_key, 1, ex=ACTIVE_TTL_SECONDS)
        pipe.lpop(self.list_key, self.batch_size)
        _, raw = pipe.execute()
        if not raw and linger > 0:
            popped = redis.blpop([self.list_key], timeout=linger)
            raw = [popped[1]] if popped else []
        ids = sorted({int(value) for value in raw or []})
        if len(ids) == self.batch_size:
            # A backlog: one job alone would work through it.
            self.ask_for_help(redis)
        return ids

    def waiting(self, redis: Redis) -> int:
        return int(redis.llen(self.list_key))

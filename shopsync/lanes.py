"""Waking workers through Redis: a list of row ids, and a job per lane only when needed.

The database holds the rows; Redis only says "there is work". A lane is a Redis list of
row ids plus two flags:
- *queued*, set while one of the lane's jobs is queued but not started: at most one
  job per lane ever waits for a worker;
- *active*, set while one of its jobs runs (each batch renews it, so a job that died
  lets it lapse within ACTIVE_TTL_SECONDS).
An arrival queues a job only when none is running and none is queued: a steady trickle
is worked by the one job that lingers for it. A full batch means a backlog, and queues
one more job (unless one is queued) so an idle worker joins in.
A job ends after a batch when another lane's job is queued, and queues itself again
behind it while its list still has ids: lanes take turns a batch at a time, so a backlog
in one (outbox deliveries, say) never holds both workers for a whole job's minute while
another lane's work (the inbox) waits.
A job that ends clears *active* and then looks at the list once more, so an id pushed
while it was ending is never left without a job (the arrival either saw no running job
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
# A queued job that never starts (its worker died) stops blocking others after this.
QUEUED_TTL_SECONDS = 60
# Every lane, to know which others have a job waiting (lanes are made at import).
_LANES: list[Lane] = []


@dataclass(frozen=True)
class Lane:
    """One kind of work: its id list, its flags and the job that drains it."""

    name: str
    job: Callable[[], int]
    job_timeout: int
    batch_size: int = 100

    def __post_init__(self) -> None:
        _LANES.append(self)

    @property
    def list_key(self) -> str:
        return f"shopsync:{self.name}"

    @property
    def active_key(self) -> str:
        return f"shopsync:{self.name}:job-active"

    @property
    def queued_key(self) -> str:
        return f"shopsync:{self.name}:job-queued"

    def wake(self, redis: Redis, ids: Sequence[int]) -> None:
        """Push ids for the workers and queue a job unless one runs or waits."""
        if not ids:
            return
        pipe = redis.pipeline(transaction=False)
        pipe.rpush(self.list_key, *ids)
        pipe.exists(self.active_key)
        _, running = pipe.execute()
        if not running:
            self.ask_for_job(redis)

    def ask_for_job(self, redis: Redis) -> None:
        """Queue a job unless one of this lane's is queued already."""
        if redis.set(self.queued_key, 1, nx=True, ex=QUEUED_TTL_SECONDS):
            self._enqueue(redis)

    def enqueue(self, redis: Redis) -> None:
        """Queue a job whatever the flags say (the job itself is harmless when idle)."""
        redis.set(self.queued_key, 1, ex=QUEUED_TTL_SECONDS)
        self._enqueue(redis)

    def _enqueue(self, redis: Redis) -> None:
        get_queue(redis).enqueue(
            self.job, job_timeout=self.job_timeout, result_ttl=0, failure_ttl=86400
        )

    def job_started(self, redis: Redis) -> None:
        # The next full batch (or another lane) may queue another one from now on.
        pipe = redis.pipeline(transaction=False)
        pipe.delete(self.queued_key)
        pipe.set(self.active_key, 1, ex=ACTIVE_TTL_SECONDS)
        pipe.execute()

    def job_ending(self, redis: Redis) -> None:
        """Clear the active flag; ids pushed meanwhile get a job (see the module)."""
        redis.delete(self.active_key)
        if self.waiting(redis):
            self.ask_for_job(redis)

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
            self.ask_for_job(redis)
        return ids

    def should_yield(self, redis: Redis) -> bool:
        """Whether another lane's job waits for a worker: end after this batch (see above)."""
        others = [lane.queued_key for lane in _LANES if lane.name != self.name]
        return bool(others) and bool(redis.exists(*others))

    def waiting(self, redis: Redis) -> int:
        return int(redis.llen(self.list_key))

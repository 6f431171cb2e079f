"""The worker process: RQ workers that shut down the Heroku way, ride out Redis outages,
and a relay beside them.

Shutdown: Heroku sends SIGTERM to every process of a dyno and SIGKILL 30 s later.
`HerokuWorker` keeps its work-horse alive through the first SIGTERM and sends it
SIGRTMIN; the horse's drain job then finishes the chunk in hand and hands every other
row it claimed straight back (shopsync.pipeline.stopping). If the chunk is still running
6 s later RQ interrupts it: its transaction rolls back and its rows go back too. Only a
SIGKILL leaves rows claimed, until the relay takes them back when their lease runs out.

Redis outages, of any length: `run_worker` waits until Redis answers before it starts an
RQ worker, the worker waits for Redis wherever RQ's own loop would quit
(shopsync.pipeline.rqworker), and whatever still ends the RQ worker's loop makes
`run_worker` wait and start a new one. One line is logged when Redis goes away and one
when it is back. The relay runs in its own thread throughout.

Forking beside a thread: RQ forks a work-horse for every job while the relay thread may
be inside SQLAlchemy or redis-py holding one of their locks; the horse would inherit that
lock held, by a thread it does not have, and hang on it forever. So a fork waits for the
relay's pass in hand to end (`_FORK_GUARD`), and mappers are configured before the relay
starts (their one-time set-up takes a global lock).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import configure_mappers

from shopsync.pipeline import jobs
from shopsync.pipeline.availability import Availability
from shopsync.pipeline.rqworker import REDIS_POLL_SECONDS, ShopsyncWorker
from shopsync.queue import SERIALIZER, ShopsyncJob, get_queue
from shopsync.runtime import Runtime

# Held while one worker's relay makes a pass, so several workers take turns.
RELAY_LOCK_KEY = "shopsync:relay-lock"
log = logging.getLogger(__name__)

# Held by the relay for each pass and by a fork (RQ's horse, its scheduler) while it forks.
_FORK_GUARD = threading.Lock()
os.register_at_fork(
    before=_FORK_GUARD.acquire,
    after_in_parent=_FORK_GUARD.release,
    after_in_child=_FORK_GUARD.release,
)


class Relay(threading.Thread):
    """Runs `jobs.relay` every interval; a Redis lock keeps it to one worker at a time."""

    def __init__(self, rt: Runtime, redis_availability: Availability) -> None:
        super().__init__(name="shopsync-relay", daemon=True)
        self._rt = rt
        self._redis = redis_availability
        self._database = Availability("database")
        self._stop_requested = threading.Event()

    def run(self) -> None:
        interval = self._rt.settings.relay_interval
        while not self._stop_requested.wait(interval):
            self.run_once(interval)

    def run_once(self, interval: float) -> None:
        # A failed pass is retried next interval; the rows it missed stay in the database.
        try:
            with _FORK_GUARD:
                if self._rt.redis.set(RELAY_LOCK_KEY, 1, nx=True, ex=max(1, int(interval))):
                    jobs.relay()
        except RedisError as error:
            self._redis.lost(error)
            return
        except DBAPIError as error:
            self._database.lost(error)
            return
        self._redis.back()
        self._database.back()

    def stop(self) -> None:
        self._stop_requested.set()


class Supervisor:
    """Keeps an RQ worker running across Redis outages until a signal says stop."""

    def __init__(self, rt: Runtime, *, burst: bool) -> None:
        self._rt = rt
        self._burst = burst
        self._stop = threading.Event()
        self.redis = Availability("Redis")
        # RQ raises this client's socket timeout to its long BLPOP: it gets one of its own.
        self._connection = rt.connect_redis()

    def run(self) -> bool:
        worked = False
        abandoned: ShopsyncWorker | None = None
        while self._wait_for_redis():
            if abandoned is not None:
                _forget(abandoned)
                abandoned = None
            worker = self._new_worker()
            try:
                worked = bool(worker.work(**self._work_options())) or worked
            except RedisError as error:  # RQ's own clean-up needs Redis too
                self.redis.lost(error)
                abandoned = worker
            if self._burst or worker.stop_requested_by_signal:
                break
        return worked

    def _wait_for_redis(self) -> bool:
        """Block until Redis answers (True) or a signal asks to stop (False)."""
        self._handle_signals_ourselves()
        while not self._stop.is_set():
            try:
                # Not the RQ worker's own client: RQ raises its timeout to its long BLPOP.
                self._rt.redis.ping()
            except RedisError as error:
                self.redis.lost(error)
                if self._burst:
                    return False
                self._stop.wait(REDIS_POLL_SECONDS)
                continue
            self.redis.back()
            return True
        return False

    def _handle_signals_ourselves(self) -> None:
        # RQ's handlers, left from a previous run, talk to Redis; between runs ours stop us.
        def request_stop(_signum: int, _frame: FrameType | None) -> None:
            self._stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def _new_worker(self) -> ShopsyncWorker:
        return ShopsyncWorker(
            [get_queue(self._connection)],
            connection=self._connection,
            job_class=ShopsyncJob,
            serializer=SERIALIZER,
            availability=self.redis,
        )

    def _work_options(self) -> dict[str, Any]:
        return {
            "burst": self._burst,
            "with_scheduler": True,
            "logging_level": self._rt.settings.log_level,
        }


def _forget(worker: ShopsyncWorker) -> None:
    """Drop the registration a worker that lost Redis left behind (Redis is back)."""
    with contextlib.suppress(RedisError):  # else it expires on its own (RQ's worker TTL)
        worker.register_death()  # type: ignore[no-untyped-call]


def run_worker(rt: Runtime, *, burst: bool = False) -> bool:
    """Work the queue until told to stop (or, with `burst`, until it is empty)."""
    supervisor = Supervisor(rt, burst=burst)
    relay = Relay(rt, supervisor.redis)
    configure_mappers()  # before the relay thread can take the lock this needs
    if not burst:
        relay.start()
    try:
        return supervisor.run()
    finally:
        relay.stop()

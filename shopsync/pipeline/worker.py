"""The worker process: an RQ worker that shuts down the Heroku way, plus the relay.

Heroku sends SIGTERM to every process of a dyno and SIGKILL 30 s later. `HerokuWorker`
keeps its work-horse alive through the first SIGTERM and asks it to stop; a drain job
that is interrupted hands its unworked rows back (processing.process_batch), and the
relay re-queues anything a SIGKILL left claimed once its lease runs out.
"""

from __future__ import annotations

import logging
import threading

from redis.exceptions import RedisError
from rq.worker import HerokuWorker
from sqlalchemy.exc import DBAPIError

from shopsync.pipeline import jobs
from shopsync.pipeline.queue import RELAY_LOCK_KEY, get_queue
from shopsync.runtime import Runtime

log = logging.getLogger(__name__)


class Relay(threading.Thread):
    """Runs `jobs.relay` every interval; a Redis lock keeps it to one worker at a time."""

    def __init__(self, rt: Runtime) -> None:
        super().__init__(name="shopsync-relay", daemon=True)
        self._rt = rt
        self._stop_requested = threading.Event()

    def run(self) -> None:
        interval = self._rt.settings.relay_interval
        while not self._stop_requested.wait(interval):
            self.run_once(interval)

    def run_once(self, interval: float) -> None:
        # A failed pass is retried next interval; the rows it missed stay in the database.
        try:
            if self._rt.redis.set(RELAY_LOCK_KEY, 1, nx=True, ex=max(1, int(interval))):
                jobs.relay()
        except (RedisError, DBAPIError) as error:
            log.warning("relay pass failed (%s); retrying in %ss", type(error).__name__, interval)

    def stop(self) -> None:
        self._stop_requested.set()


def run_worker(rt: Runtime, *, burst: bool = False) -> bool:
    """Work the queue until told to stop (or, with `burst`, until it is empty)."""
    relay = Relay(rt)
    if not burst:
        relay.start()
    worker = HerokuWorker([get_queue(rt.redis)], connection=rt.redis)
    try:
        return bool(
            worker.work(burst=burst, with_scheduler=True, logging_level=rt.settings.log_level)
        )
    finally:
        relay.stop()

"""RQ's Heroku worker and scheduler, adapted to wait out Redis outages quietly.

Left alone, RQ's worker quits with a traceback when Redis goes away during a job, retries
with a growing delay (up to a minute) and an error line per attempt when it goes away
between jobs, and its scheduler process dies with a traceback. Here the worker waits
until Redis answers again wherever its own loop would talk to it, the scheduler does the
same, and the outage is logged once by an `Availability`. Whatever still escapes ends
`work()`, and `shopsync.pipeline.worker.Supervisor` starts a new worker.
"""

from __future__ import annotations

import time
from types import FrameType
from typing import Any

from redis.exceptions import RedisError
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.exceptions import StopRequested
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import RQScheduler
from rq.worker import HerokuWorker

from shopsync.errors import describe_error
from shopsync.pipeline import stopping
from shopsync.pipeline.availability import Availability

# How often something waiting for Redis asks again.
REDIS_POLL_SECONDS = 1.0


class ShopsyncWorker(HerokuWorker):
    """HerokuWorker that stops its drain job early on shutdown and waits out Redis outages.

    It has no RQ command channel (`rq` CLI commands): shopsync workers are stopped with
    signals, and the channel's thread logs a line every 2 s while Redis is away. A failed
    job is logged in one line; its traceback stays in RQ's failed-job registry.
    """

    def __init__(self, *args: Any, availability: Availability, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.availability = availability
        self.stop_requested_by_signal = False

    def subscribe(self) -> None:
        return None

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested_by_signal = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def request_stop_sigrtmin(self, signum: int, frame: FrameType | None) -> None:
        # In the horse: the drain job stops after its chunk; RQ's 6 s alarm stays armed.
        stopping.request()
        super().request_stop_sigrtmin(signum, frame)  # type: ignore[no-untyped-call]

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        """Every pass of RQ's loop starts here: wait for Redis instead of quitting."""
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            return
        while True:
            try:
                super().heartbeat(timeout)
            except RedisError as error:
                self._wait_a_moment(error)
                continue
            self.availability.back()
            return

    def maintain_heartbeats(self, job: Job, execution: Any) -> None:
        # The horse keeps working meanwhile; a missed heartbeat only ages RQ's records.
        try:
            super().maintain_heartbeats(job, execution)
        except RedisError as error:
            self.availability.lost(error)

    def execute_job(self, job: Job, queue: Queue) -> None:
        # A drain job's rows are in the database: whatever it left, the relay re-wakes.
        try:
            super().execute_job(job, queue)
        except RedisError as error:
            self.availability.lost(error)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """One line per failed job: RQ's traceback could quote payload data."""
        error = exc_info[1]
        described = describe_error(error) if isinstance(error, BaseException) else "unknown"
        self.log.error("job %s failed: %s", job.id, described)

    def _wait_a_moment(self, error: RedisError) -> None:
        self.availability.lost(error)
        if self.stop_requested_by_signal:
            raise StopRequested  # RQ's own stop needed Redis and failed: stop anyway
        time.sleep(REDIS_POLL_SECONDS)

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        """RQ's own start-up, with a scheduler that waits out Redis outages."""
        self.scheduler = PatientScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()  # type: ignore[no-untyped-call]
        if not self.scheduler.acquired_locks:
            return
        if burst:
            try:
                self.scheduler.register_birth()
                self.scheduler.enqueue_scheduled_jobs()  # type: ignore[no-untyped-call]
            finally:
                self.scheduler.release_locks()  # type: ignore[no-untyped-call]
                self.scheduler.register_death()
        else:
            self.scheduler.start()  # type: ignore[no-untyped-call]


class PatientScheduler(RQScheduler):
    """RQ's scheduler process, which starts over once Redis is back instead of dying."""

    def work(self) -> None:
        while True:
            try:
                super().work()  # type: ignore[no-untyped-call]
                return
            except RedisError:
                # Quietly: the worker beside it logs the outage.
                if self._stop_requested:
                    return
                time.sleep(REDIS_POLL_SECONDS)

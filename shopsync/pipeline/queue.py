"""The RQ queue and the Redis keys that wake workers. The database is the record.

Jobs carry ids only, so they are stored as JSON, and a worker runs only the job
functions named here: whoever can write to Redis can queue a drain, not run code.
"""

from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from shopsync.errors import UnknownJob

QUEUE_NAME = "shopsync"
# Ids of inbox rows waiting for a worker, pushed by the web process and the relay.
INBOX_LIST = "shopsync:inbox"
# Set while a drain job is queued but not started, so arrivals don't queue one each.
DRAIN_PENDING_KEY = "shopsync:drain-pending"
DRAIN_PENDING_TTL_SECONDS = 60
RELAY_LOCK_KEY = "shopsync:relay-lock"
# Every function a shopsync job may name (tests check the jobs module agrees).
JOB_FUNCTIONS = frozenset({"shopsync.pipeline.jobs.drain_inbox"})
SERIALIZER = JSONSerializer


class ShopsyncJob(Job):
    """An RQ job that resolves only shopsync's own job functions, and no callbacks."""

    @property
    def func(self) -> Any:
        if self.instance is not None or self.func_name not in JOB_FUNCTIONS:
            raise UnknownJob(f"refusing job {self.id}: it names no shopsync job function")
        return super().func

    @property
    def success_callback(self) -> None:
        return None

    @property
    def failure_callback(self) -> None:
        return None

    @property
    def stopped_callback(self) -> None:
        return None


def get_queue(redis: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=redis, job_class=ShopsyncJob, serializer=SERIALIZER)

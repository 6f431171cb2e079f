"""The RQ queue every shopsync job goes through, and which functions a job may name.

Jobs carry ids only, so they are stored as JSON, and a worker runs only functions
registered here with `@job`: whoever can write to Redis can queue a drain, never run
code. Job modules register at import; the worker imports them all before it works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from redis import Redis
from rq import Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from shopsync.errors import UnknownJob

QUEUE_NAME = "shopsync"
SERIALIZER = JSONSerializer
# "module.function" of every function a shopsync job may name.
JOB_FUNCTIONS: set[str] = set()

F = TypeVar("F", bound=Callable[..., Any])


def job(function: F) -> F:
    """Allow `function` to be run by a queued job (a decorator, like @registry.on)."""
    JOB_FUNCTIONS.add(f"{function.__module__}.{function.__qualname__}")
    return function


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

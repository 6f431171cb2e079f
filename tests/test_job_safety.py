"""A Redis write can queue a drain, never run code: JSON jobs, shopsync's functions only."""

from __future__ import annotations

import json
import os
import subprocess
import zlib
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from shopsync.pipeline import jobs
from shopsync.queue import JOB_FUNCTIONS, QUEUE_NAME, get_queue
from shopsync.runtime import Runtime
from tests.processes import BIN, PROJECT_ROOT


def run_worker_burst(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "shopsync"), "worker", "--burst"],
        env={**os.environ, **environ},
        cwd=PROJECT_ROOT,
        check=False,
        timeout=60,
        capture_output=True,
        text=True,
    )


def test_queued_drain_jobs_are_json_and_name_a_shopsync_job(runtime: Runtime) -> None:
    jobs.enqueue_drain(runtime.redis)
    [job_id] = get_queue(runtime.redis).job_ids
    data = runtime.redis.hget(f"rq:job:{job_id}", "data")
    assert isinstance(data, bytes)
    stored = json.loads(zlib.decompress(data))  # RQ compresses the serialized call
    assert stored == ["shopsync.pipeline.jobs.drain_inbox", None, [], {}]
    assert f"{jobs.drain_inbox.__module__}.{jobs.drain_inbox.__qualname__}" in JOB_FUNCTIONS


@pytest.mark.slow
def test_a_pickled_job_written_to_redis_does_not_run(
    environ: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    marker = tmp_path / "pickled-job-ran"
    attacker = Queue(QUEUE_NAME, connection=Redis.from_url(environ["REDIS_URL"]))  # pickle
    job = attacker.enqueue(Path.touch, marker)
    finished = run_worker_burst(environ)
    assert finished.returncode == 0, finished.stderr
    assert not marker.exists()
    assert Job.fetch(job.id, connection=runtime.redis).get_status() == "failed"
    assert "Traceback" not in finished.stderr


@pytest.mark.slow
def test_a_json_job_naming_another_function_does_not_run(
    environ: dict[str, str], runtime: Runtime, tmp_path: Path
) -> None:
    marker = tmp_path / "json-job-ran"
    attacker = Queue(QUEUE_NAME, connection=runtime.redis, serializer="json")
    attacker.enqueue("os.mkdir", str(marker))
    finished = run_worker_burst(environ)
    assert finished.returncode == 0, finished.stderr
    assert not marker.exists()
    assert "job " in finished.stderr and "UnknownJob" in finished.stderr
    assert "Traceback" not in finished.stderr

"""The RQ worker class `shopworker worker` runs: RQ's SimpleWorker (jobs run in the worker process, no fork per job)
with heartbeats while a job runs, a failure line that holds no payload, and, once a job ends, what a privacy request
that ran meanwhile asked of it (see worker/adapters/held_jobs.py).

SimpleWorker sends no heartbeat during a job, so it registers each job as running for the job's whole timeout plus
a minute (6 minutes here): a worker killed mid-job left that job looking alive for 6 minutes before any other worker
would retry it. Here a thread renews the job's registration every `job_monitoring_interval` seconds for
HEARTBEAT_TTL_SECONDS, so a killed worker's job is declared abandoned within HEARTBEAT_TTL_SECONDS, and the next
maintenance of a live worker (WORKER_MAINTENANCE_SECONDS) retries it.
"""

from __future__ import annotations

import logging
import threading
import traceback
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import Any

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.exceptions import DeserializationError
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.worker import WorkerStatus

from config.logs import error_summary
from worker import metrics
from worker.adapters.held_jobs import HeldJobs

PROJECT = str(Path(__file__).resolve().parent.parent)
HEARTBEAT_TTL_SECONDS = 40  # four heartbeats of 10 s may be missed before a running job is taken for abandoned

log = logging.getLogger(__name__)


class HeartbeatWorker(SimpleWorker):
    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL_SECONDS if job.timeout != -1 else super().get_heartbeat_ttl(job, working_time)

    def execute_job(self, job: Job, queue: Any) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()
        beats = threading.Thread(target=self._beat, args=(job, execution, done), daemon=True, name="heartbeat")
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beats.join()
        self.held_jobs.finish(job.id, also=metrics.send_counts)
        self.set_state(WorkerStatus.IDLE)

    @cached_property
    def held_jobs(self) -> HeldJobs:
        """Where a privacy request that ran beside a job of ours left what to do with it once it ended."""
        return HeldJobs(self.connection, self.serializer)

    def _beat(self, job: Job, execution: Any, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as error:  # the job goes on; the next beat tries again
                log.warning("job heartbeat not sent: %s", error)

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """RQ's own failure line holds the job's whole argument (a webhook's body: names, street addresses, phone
        numbers) and the exception's full text; this one names the job, its event and the error, and where it was
        raised."""
        _kind, error, trace = exc_info
        log.error("job failed: %s", error_summary(error), extra={**_job_fields(job), "raised_in": _our_frame(trace)})
        call_exception_handlers(self._exc_handlers, job, *exc_info)


def _our_frame(trace: TracebackType | None) -> str | None:
    """The innermost line of the project's own code the error passed through: where to start reading."""
    ours = [
        frame
        for frame in traceback.extract_tb(trace)
        if frame.filename.startswith(PROJECT) and "site-packages" not in frame.filename
    ]
    if not ours:
        return None
    return f"{Path(ours[-1].filename).relative_to(PROJECT)}:{ours[-1].lineno} {ours[-1].name}"


def _job_fields(job: Job) -> dict[str, Any]:
    """The job's id, and the shop, topic and event id its argument names (the receiver checked their form)."""
    fields: dict[str, Any] = {"job": job.id}
    try:
        argument = job.args[0] if job.args else None
    except DeserializationError:
        return fields
    if isinstance(argument, dict):
        for name, key in (("shop", "shop"), ("topic", "topic"), ("event", "event_id")):
            if isinstance(argument.get(key), str):
                fields[name] = argument[key]
    return fields

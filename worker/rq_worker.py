"""The RQ worker class `shopworker worker` runs: RQ's SimpleWorker (jobs run in the worker process, no fork per job)
with heartbeats while a job runs.

SimpleWorker sends no heartbeat during a job, so it registers each job as running for the job's whole timeout plus
a minute (6 minutes here): a worker killed mid-job left that job looking alive for 6 minutes before any other worker
would retry it. Here a thread renews the job's registration every `job_monitoring_interval` seconds for
HEARTBEAT_TTL_SECONDS, so a killed worker's job is declared abandoned within HEARTBEAT_TTL_SECONDS, and the next
maintenance of a live worker (WORKER_MAINTENANCE_SECONDS) retries it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.worker import WorkerStatus

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
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job: Job, execution: Any, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except RedisError as error:  # the job goes on; the next beat tries again
                log.warning("job heartbeat not sent: %s", error)

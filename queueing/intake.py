"""The queue: a delivery marked seen and its job enqueued in one atomic round trip (the receiver), and jobs queued on
purpose with the same policy (replays, follow-ups, scheduled checks)."""

from __future__ import annotations

import threading
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import uuid4

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.utils import now, utcformat

from queueing.enqueue_script import GUARDED_ENQUEUE, PLACEHOLDER, EnqueueTemplate
from queueing.keys import DeliveryKey
from queueing.retry import FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, RETRY_INTERVALS
from queueing.serializer import JobSerializer


class Intake:
    def __init__(
        self, redis: Redis, queue_name: str, dedup_seconds: int, serializer: type[JobSerializer] = JobSerializer
    ) -> None:
        self.redis = redis
        self.serializer = serializer
        self.queue = Queue(queue_name, connection=redis, serializer=serializer)
        self.dedup_seconds = dedup_seconds
        self._guarded_enqueue = redis.register_script(GUARDED_ENQUEUE)
        self._per_thread = threading.local()

    def _own_connection(self) -> Redis:
        """A client holding one connection for the calling thread: a webhook then skips the pool's checkout, whose
        locking and is-the-socket-clean probe cost as much as the enqueue itself."""
        client = getattr(self._per_thread, "client", None)
        if client is None:
            client = Redis(connection_pool=self.redis.connection_pool, single_connection_client=True)
            self._per_thread.client = client
        return client

    @cached_property
    def _webhook_job(self) -> EnqueueTemplate:
        """Captured at the first webhook rather than at start: RQ asks the Redis server its version on the way."""
        return EnqueueTemplate(self.queue, self._job(PLACEHOLDER, {}, PLACEHOLDER, PLACEHOLDER))

    def _job(self, job_path: str, payload: dict[str, Any], description: str, job_id: str | None = None) -> Job:
        return self.queue.create_job(
            job_path,
            args=(payload,),
            job_id=job_id,
            retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
            failure_ttl=FAILURE_TTL,
            result_ttl=RESULT_TTL,
            timeout=JOB_TIMEOUT,
            description=description,
        )

    def submit(self, key: DeliveryKey, job_path: str, envelope: dict[str, Any]) -> bool:
        """Queue the job unless this delivery was already taken; True when queued. Raises on Redis errors."""
        job_id = str(uuid4())
        enqueued_at = utcformat(now())
        commands = self._webhook_job.fill(
            job_id,
            data=self.serializer.dumps((job_path, None, (envelope,), {})),
            description=f"{key.topic} {key.shop} {key.event_id}",
            created_at=enqueued_at,
            enqueued_at=enqueued_at,
        )
        client = self._own_connection()
        return bool(
            self._guarded_enqueue(keys=[key.redis_key()], args=[job_id, self.dedup_seconds, *commands], client=client)
        )

    def enqueue(
        self,
        job_path: str,
        payload: dict[str, Any],
        description: str,
        at: datetime | None = None,
        job_id: str | None = None,
    ) -> bool:
        """Queue a job on purpose (a replay, a follow-up, a check due at `at`) with the same retry policy.
        With a `job_id`, a job already waiting under that id is kept and False is returned."""
        job = self._job(job_path, payload, description, job_id)
        try:
            if at is None:
                self.queue.enqueue_job(job, unique=job_id is not None)
            else:
                self.queue.schedule_job(job, at, unique=job_id is not None)
        except DuplicateJobError:
            return False
        return True

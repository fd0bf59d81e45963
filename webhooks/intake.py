"""The web process's one Redis adapter: mark a delivery seen and enqueue its job in a single atomic round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

# Runs the commands RQ would send to enqueue a job, but only if the delivery's dedup key was not already set.
# Either both happen or neither does: a failed enqueue never leaves a delivery marked as seen.
_GUARDED_ENQUEUE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return 0
end
local i = 3
while i <= #ARGV do
  local argc = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + argc))
  i = i + 1 + argc
end
return 1
"""

RETRY_INTERVALS = [10, 60, 300, 900, 3600]
FAILURE_TTL = 14 * 24 * 3600
RESULT_TTL = 3600
JOB_TIMEOUT = 300


@dataclass(frozen=True)
class DeliveryKey:
    """A delivery is the same delivery when shop, topic and Shopify's event id agree."""

    shop: str
    topic: str
    event_id: str

    def redis_key(self) -> str:
        return f"shopworker:seen:{self.shop}:{self.topic}:{self.event_id}"


class Intake:
    def __init__(self, redis: Redis, queue_name: str, dedup_seconds: int) -> None:
        self.redis = redis
        self.queue = Queue(queue_name, connection=redis, serializer=JSONSerializer)
        self.dedup_seconds = dedup_seconds
        self._guarded_enqueue = redis.register_script(_GUARDED_ENQUEUE)

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
        job = self._job(job_path, envelope, f"{key.topic} {key.shop} {key.event_id}")
        pipe = self.redis.pipeline(transaction=False)
        self.queue.enqueue_job(job, pipeline=pipe)
        argv: list[Any] = [job.id, self.dedup_seconds]
        for args, _options in pipe.command_stack:
            argv.append(len(args))
            argv.extend(args)
        pipe.reset()
        return bool(self._guarded_enqueue(keys=[key.redis_key()], args=argv))

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

"""The web process's one Redis adapter: mark a delivery seen and enqueue its job in a single atomic round trip."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from uuid import uuid4

import orjson
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.utils import now, utcformat

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


class JobSerializer:
    """RQ's job data as JSON, written and read by orjson: a 15 KB order costs microseconds to serialize.
    Jobs stay plain JSON, so any JSON reader (RQ's JSONSerializer included) can read them."""

    @staticmethod
    def dumps(value: Any) -> bytes:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)

    @staticmethod
    def loads(data: bytes) -> Any:
        return orjson.loads(data)


RETRY_INTERVALS = [10, 60, 300, 900, 3600]
FAILURE_TTL = 14 * 24 * 3600
RESULT_TTL = 3600
JOB_TIMEOUT = 300


_PLACEHOLDER = "shopworker-placeholder"


class EnqueueTemplate:
    """The commands RQ sends to enqueue one of our jobs, captured once from RQ itself, as the guarded-enqueue
    script reads them (each command's length, then its arguments). A webhook fills in only what is its own: the
    job id and the job hash's data, description and times. Building and saving a Job object per webhook costs
    more than the rest of the request together, and zlib alone a third of it: the data goes uncompressed, which
    RQ reads as it is (the worker compresses it when it saves the finished job)."""

    def __init__(self, queue: Queue, job: Job) -> None:
        pipe = queue.connection.pipeline(transaction=False)
        queue.enqueue_job(job, pipeline=pipe)
        self.argv: list[Any] = []
        self.id_slots: list[int] = []
        self.field_slots: dict[str, int] = {}
        for args, _options in pipe.command_stack:
            self.argv.append(len(args))
            start = len(self.argv)
            self.argv.extend(args)
            self.id_slots += [start + i for i, arg in enumerate(args) if isinstance(arg, str) and job.id in arg]
            if args[0] == "HSET":
                self.field_slots.update({args[i]: start + i + 1 for i in range(2, len(args) - 1, 2)})
        pipe.reset()

    def fill(self, job_id: str, **fields: Any) -> list[Any]:
        argv = self.argv.copy()
        for slot in self.id_slots:
            argv[slot] = argv[slot].replace(_PLACEHOLDER, job_id)
        for name, value in fields.items():
            argv[self.field_slots[name]] = value
        return argv


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
        self.queue = Queue(queue_name, connection=redis, serializer=JobSerializer)
        self.dedup_seconds = dedup_seconds
        self._guarded_enqueue = redis.register_script(_GUARDED_ENQUEUE)
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
        return EnqueueTemplate(self.queue, self._job(_PLACEHOLDER, {}, "", _PLACEHOLDER))

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
            data=JobSerializer.dumps((job_path, None, (envelope,), {})),
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

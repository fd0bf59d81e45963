"""The jobs RQ holds in Redis in any state (queued, scheduled, running, waiting to retry, finished, failed), read and
rewritten for the privacy requests: a job's argument is the webhook as received, personal data included."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

from redis import Redis
from rq.exceptions import DeserializationError, NoSuchJobError
from rq.job import Job, get_current_job
from rq.results import Result

from queueing.keys import MISSING_WEBHOOKS_KEY, NEEDS_REINSTALL_KEY, DeliveryKey, seen_keys_of
from queueing.serializer import JobSerializer

Argument = dict[str, Any]


class HeldJobs:
    def __init__(self, redis: Redis, serializer: type[JobSerializer] = JobSerializer) -> None:
        self.redis = redis
        self.serializer = serializer

    def _each(self) -> Iterator[tuple[Job, Argument]]:
        """Every job whose argument is a JSON object (an event's envelope, or the ids a follow-up needs), but the
        one running here: the worker saves it again when it ends."""
        current = get_current_job()
        prefix = Job.redis_job_namespace_prefix
        for key in self.redis.scan_iter(match=f"{prefix}*", _type="HASH", count=500):
            job_id = key.decode()[len(prefix) :]
            if current is not None and job_id == current.id:
                continue
            try:
                job = Job.fetch(job_id, connection=self.redis, serializer=self.serializer)
                argument = job.args[0] if job.args else None
            except (NoSuchJobError, DeserializationError):  # expired meanwhile, or not ours
                continue
            if isinstance(argument, dict):
                yield job, argument

    def rewrite(self, rewritten: Callable[[Argument], Argument | None]) -> int:
        """Each job whose argument `rewritten` replaces (None: left as it is) takes the new argument and forgets the
        text of its failures, which may quote the old one. Returns how many jobs were rewritten."""
        count = 0
        for job, argument in self._each():
            replacement = rewritten(argument)
            if replacement is None:
                continue
            job.args = (replacement, *job.args[1:])
            with self.redis.pipeline() as pipe:
                pipe.hset(job.key, "data", zlib.compress(job.data))
                pipe.hdel(job.key, "exc_info")
                pipe.delete(Result.get_key(job.id))
                pipe.execute()
            count += 1
        return count

    def forget_shop(self, shop: str) -> tuple[int, int]:
        """Delete every job naming the shop in any state, its delivery keys and its fields in our own hashes.
        Returns (jobs, keys and fields) deleted."""
        jobs = 0
        for job, argument in self._each():
            if argument.get("shop") == shop:
                job.delete(remove_from_queue=True)
                jobs += 1
        keys = list(self.redis.scan_iter(match=seen_keys_of(shop), count=500))
        entries = self.redis.delete(*keys) if keys else 0
        entries += sum(self.redis.hdel(name, shop) for name in (MISSING_WEBHOOKS_KEY, NEEDS_REINSTALL_KEY))
        return jobs, entries

    def forget_delivery(self, key: DeliveryKey) -> None:
        """The mark a delivery left when it was taken (it names its shop)."""
        self.redis.delete(key.redis_key())

    @staticmethod
    def discard_running_job_when_done() -> None:
        """The running job (a privacy request, whose argument names what is being forgotten) is deleted as soon as
        it succeeds, instead of being kept with its result."""
        job = get_current_job()
        if job is not None:
            job.result_ttl = 0

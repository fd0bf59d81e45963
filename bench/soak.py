"""Soak: a mixed webhook load through the deployed shape, with a Redis restart, a worker SIGKILL and a shop's departure.

Run: .venv/bin/python -m bench.soak [--minutes 10] [--rate 40]
Starts a private durable redis-server (append-only file, fsync always), gunicorn with two workers (metrics in
multiprocess mode) and two `shopworker worker` processes on loopback, against PostgreSQL in a schema of its own
(dropped at the end). Sends every topic of tests/fixtures/webhooks and tests/fixtures/shopify_samples signed as
Shopify would, each under a new event id, with 5 % sent again later (duplicates) and 5 % swapped with their
neighbour (reordered). One delivery in four is for a second shop, until that shop departs at 60 % of the plan: it
uninstalls the app and, 50 deliveries later (48 hours later at Shopify), Shopify sends its `shop/redact`, while
the first shop's traffic goes on. A third of the way in Redis is stopped and started again; half way one worker is
killed with SIGKILL and, as a platform would, started again. A delivery answered 503 or not answered is sent
again, as Shopify does, up to 8 times. Then it waits for the queue to drain (at most 5 minutes) and reads the event
log.

Prints: events sent, accepted (answered queued or duplicate), processed (in the event log as processed or stale;
the departed shop's redaction, which deletes the shop's log rows, its own included, by its audit_log row), lost
(accepted but never processed: must be 0), doubled (an event of the remaining shop queued twice, or logged twice:
must be 0), re-run (events whose job ran again after the kill: RQ's at-least-once, harmless as writes are
idempotent), worker processes restarted besides the one killed and when (a job that ends while Redis is stopped
takes its worker down, as RQ cannot record its end; none may exit anywhere else), what the redaction's audit row
counts and what is left of the departed shop (rows, tombstone and audit aside, and mentions in Redis: must be 0),
and the ACK latency p50/p99 of the answered requests.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from queueing.topics import JOB_FOR_TOPIC
from tests.support import DEPARTED, SHOP, fixture_deliveries, headers_for, key_text, shopify_samples
from worker.adapters.db import Database, make_engine
from worker.adapters.records import Records
from worker.adapters.tables import metadata
from worker.adapters.tables.privacy import KEPT_BY_SHOP_REDACT
from worker.loopback import RedisServer, answers, free_port

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET = "soak-secret"
SENDERS = 6
MAX_TRIES = 8
DEPARTS_AT = 0.6  # share of the plan sent before the departing shop uninstalls the app and is redacted
DEPARTING_SHARE = 4  # one delivery in so many is the departing shop's, until it departs
REDACTED_AFTER = 50  # deliveries between the departing shop's app/uninstalled and its shop/redact
Delivery = tuple[str, str, str, bytes]  # shop, topic, event id, body


@contextmanager
def child(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


class Workers:
    """Two `shopworker worker` processes, restarted when one exits, as a platform restarts a crashed dyno."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env, self.killed, self.lock = env, 0, threading.Lock()
        self.started = time.monotonic()
        self.restarted_at: list[float] = []  # seconds after the start
        self.processes = [self._start(), self._start()]

    def _start(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "worker", "worker"]
        return subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)

    def supervise(self) -> None:
        with self.lock:
            self._restart_exited()

    def _restart_exited(self) -> None:
        for n, process in enumerate(self.processes):
            if process.poll() is not None:
                self.processes[n] = self._start()
                self.restarted_at.append(time.monotonic() - self.started)

    def kill_one(self) -> int:
        with self.lock:
            victim = self.processes[0]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            self.killed += 1
            return victim.pid

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def deliveries(count: int, rng: random.Random) -> list[Delivery]:
    """Every fixture in turn under new event ids, one in four for DEPARTED until it departs (its uninstall, then its
    redaction), 5 % duplicates, 5 % reordered."""
    fixtures = [(topic, body) for topic, _case, body in fixture_deliveries()]
    pools = {
        shop: fixtures + [(topic, body) for topic, body in shopify_samples(shop) if topic != "shop/redact"]
        for shop in (SHOP, DEPARTED)
    }
    departs = int(count * DEPARTS_AT)
    planned: list[Delivery] = []
    for n in range(count):
        shop = DEPARTED if n < departs and n % DEPARTING_SHARE == 0 else SHOP
        topic, body = pools[shop][n % len(pools[shop])]
        planned.append((shop, topic, f"soak-{uuid.uuid4()}", body))
    farewell = dict(shopify_samples(DEPARTED))
    for at, topic in ((departs, "app/uninstalled"), (departs + REDACTED_AFTER, "shop/redact")):
        planned.insert(at, (DEPARTED, topic, f"soak-{uuid.uuid4()}", farewell[topic]))
    for n in range(len(planned) - 1):
        if rng.random() < 0.05:
            planned[n], planned[n + 1] = planned[n + 1], planned[n]
    for n in range(len(planned)):
        if rng.random() < 0.05:
            at = min(len(planned), n + rng.randint(1, 50))
            planned.insert(at, planned[n])
    return planned


class Sender:
    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.answers: dict[tuple[str, str], list[str]] = {}
        self.retries = 0

    def send(self, shop: str, topic: str, event_id: str, body: bytes) -> None:
        session = getattr(self.local, "session", None) or requests.Session()
        self.local.session = session
        headers = headers_for(body, topic, SECRET, shop, event_id)
        for attempt in range(MAX_TRIES):
            started = time.perf_counter()
            try:
                response = session.post(self.url, data=body, headers=headers, timeout=10)
            except requests.RequestException:
                status = "unanswered"
            else:
                elapsed = time.perf_counter() - started
                status = response.json().get("status", "") if response.status_code == 200 else str(response.status_code)
                with self.lock:
                    self.latencies.append(elapsed)
            with self.lock:
                self.answers.setdefault((topic, event_id), []).append(status)
            if status in {"queued", "duplicate", "ignored"}:
                return
            with self.lock:
                self.retries += 1
            time.sleep(min(0.5 * 2**attempt, 8))


def drained(redis: Redis, engine, judged: set[tuple[str, str]]) -> bool:  # noqa: ANN001
    try:
        if redis.llen("rq:queue:shopworker") or redis.zcard("rq:wip:shopworker"):
            return False
        return not (judged - processed_events(engine))
    except RedisError:
        return False


def processed_events(engine) -> set[tuple[str, str]]:  # noqa: ANN001
    """Events the event log shows processed, and the destructive ones the audit log shows done (shop/redact deletes
    the log rows of its shop, its own and the uninstall's included)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT topic, event_id FROM events WHERE status IN ('processed', 'stale')"
                " UNION SELECT topic, event_id FROM audit_log"
            )
        )
        return {(topic, event_id) for topic, event_id in rows}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40, help="Deliveries per second.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seconds = args.minutes * 60
    plan = deliveries(int(seconds * args.rate), rng)
    schema = "soak_" + uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        multiproc = Path(tmp) / "prometheus"
        multiproc.mkdir()
        redis_server, env = private_stack(
            stack, Path(tmp), schema, SECRET, durable=True, PROMETHEUS_MULTIPROC_DIR=str(multiproc)
        )
        engine = make_engine(POSTGRES_URL, schema)
        port = free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        stack.enter_context(child([*gunicorn, "webhooks:create_app()"], env))
        if not answers(f"http://127.0.0.1:{port}/healthz", 30):
            sys.exit(f"the receiver did not come up on port {port}")
        workers = Workers(env)
        stack.callback(workers.stop)
        sender = Sender(f"http://127.0.0.1:{port}/webhooks")

        print(f"soak: {len(plan)} deliveries over {args.minutes:g} min at {args.rate:g}/s", flush=True)
        started = time.monotonic()

        def restart_redis() -> None:
            print(f"  {time.monotonic() - started:6.1f} s: stopping Redis for 3 s", flush=True)
            redis_server.stop()
            time.sleep(3)
            redis_server.start()

        def kill_worker() -> None:
            pid = workers.kill_one()
            print(f"  {time.monotonic() - started:6.1f} s: SIGKILL to worker {pid}", flush=True)

        chaos = [threading.Timer(seconds / 3, restart_redis), threading.Timer(seconds / 2, kill_worker)]
        for timer in chaos:
            timer.start()
        with ThreadPoolExecutor(SENDERS) as pool:
            for n, (shop, topic, event_id, body) in enumerate(plan):
                due = started + n / args.rate
                while time.monotonic() < due:
                    time.sleep(min(0.05, max(due - time.monotonic(), 0)))
                if n % 20 == 0:
                    workers.supervise()
                pool.submit(sender.send, shop, topic, event_id, body)
        for timer in chaos:
            timer.join()
        sent_for = time.monotonic() - started

        accepted = {key for key, answers in sender.answers.items() if {"queued", "duplicate"} & set(answers)}
        accepted = {key for key in accepted if key[0] in JOB_FOR_TOPIC}
        # The departed shop's other events are deleted with it: what is left of them is counted apart.
        departing = {(topic, event_id) for shop, topic, event_id, _ in plan if shop == DEPARTED}
        departed = {(topic, event_id) for topic, event_id in accepted & departing if topic != "shop/redact"}
        judged = accepted - departed
        redis = Redis.from_url(redis_server.url)
        drain_started = time.monotonic()
        while time.monotonic() - drain_started < 300 and not drained(redis, engine, judged):
            workers.supervise()
            time.sleep(1)
        report(sender, plan, judged, departed, engine, redis, time.monotonic() - drain_started, sent_for)
        restarts = ", ".join(f"{at:.0f} s" for at in workers.restarted_at)
        print(f"workers    {len(workers.restarted_at) - workers.killed} restarted besides the killed one ({restarts})")
        engine.dispose()


def report(  # noqa: ANN001 - plain tuples and an Engine
    sender: Sender, plan, judged, departed, engine, redis: Redis, drain_seconds: float, sent_for: float
) -> None:
    distinct = {(topic, event_id) for _shop, topic, event_id, _ in plan}
    remaining = [answers for key, answers in sender.answers.items() if key not in departed]
    queued_answers = sum(answers.count("queued") for answers in remaining)
    queued_events = sum(1 for answers in remaining if "queued" in answers)
    done = processed_events(engine)
    with engine.connect() as connection:
        logged_twice = connection.execute(
            text("SELECT count(*) FROM (SELECT 1 FROM events GROUP BY shop, topic, event_id HAVING count(*) > 1) d")
        ).scalar_one()
        re_run = connection.execute(text("SELECT count(*) FROM events WHERE attempts > 1")).scalar_one()
    statuses: dict[str, int] = {}
    for replies in sender.answers.values():
        for status in replies:
            statuses[status] = statuses.get(status, 0) + 1
    print(f"sent       {len(plan)} deliveries of {len(distinct)} distinct events in {sent_for:.0f} s")
    print(f"answers    {dict(sorted(statuses.items()))} (retried {sender.retries})")
    print(
        f"accepted   {len(judged)} events with a job (queued or duplicate), the departed shop's {len(departed)} aside"
    )
    print(f"processed  {len(judged & done)} (drained in {drain_seconds:.0f} s after the last delivery)")
    print(f"lost       {len(judged - done)} {sorted(judged - done)[:5]}")
    print(f"doubled    {queued_answers - queued_events + logged_twice}")
    print(f"re-run     {re_run} events whose job ran again (idempotent)")
    print(f"departed   {departure(engine, redis)}")
    print(f"ack        p50 {percentile(sender.latencies, 0.5) * 1000:.1f} ms, "
          f"p99 {percentile(sender.latencies, 0.99) * 1000:.1f} ms over {len(sender.latencies)} answers")  # fmt: skip


def departure(engine, redis: Redis) -> str:  # noqa: ANN001
    """What the departed shop's redaction counted, and what is left of the shop."""
    with engine.connect() as connection:
        counts = connection.execute(
            text("SELECT counts FROM audit_log WHERE shop = :shop AND topic = 'shop/redact' ORDER BY id"),
            {"shop": DEPARTED},
        ).scalars()
        audited = [{name: count[name] for name in ("events", "orders", "jobs", "redis_keys")} for count in counts]
    records = Records(Database(engine))
    kept = [
        table.name for table in metadata.sorted_tables if "shop" in table.c and not table.info.get(KEPT_BY_SHOP_REDACT)
    ]
    rows = sum(records.count(name, DEPARTED) for name in kept)
    keys = [key for key in redis.scan_iter() if DEPARTED in key_text(redis, key)]
    named = [f"{key.decode()} {redis.hget(key, 'status') if redis.type(key) == b'hash' else ''}" for key in keys]
    return f"shop/redact audited {audited}; left: {rows} rows, {len(keys)} Redis keys naming the shop {named}"


def private_stack(
    stack: ExitStack, tmp: Path, schema: str, secret: str, durable: bool = False, **extra: str
) -> tuple[RedisServer, dict[str, str]]:
    """A private redis-server and a migrated PostgreSQL schema, both gone when `stack` closes, and the environment
    that points the service's processes at them."""
    redis_server = RedisServer(tmp, durable=durable)
    redis_server.start()
    stack.callback(redis_server.stop)
    env = {
        **os.environ,
        "SHOPIFY_API_SECRET": secret,
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": POSTGRES_URL,
        "DATABASE_SCHEMA": schema,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    subprocess.run([sys.executable, "-m", "worker", "db", "upgrade"], env=env, cwd=ROOT, check=True)
    stack.callback(drop_schema, schema)
    return redis_server, env


def drop_schema(schema: str) -> None:
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


if __name__ == "__main__":
    main()

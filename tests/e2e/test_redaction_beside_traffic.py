"""`shop/redact` taken by one `shopworker worker` process while the other is half-way through a job of the same shop:
the running job ends without error, and nothing of the shop is left, neither in the records nor in Redis."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
import requests
from redis import Redis
from rq import Worker
from rq.registry import FailedJobRegistry
from rq.worker import WorkerStatus
from sqlalchemy import select

from queueing.keys import JOB_OUTCOMES_KEY, DeliveryKey
from tests.conftest import POSTGRES_URL, SECRET
from tests.support import FIXTURES, headers_for, redis_text
from worker.adapters import tables
from worker.adapters.db import lock_key

pytestmark = pytest.mark.e2e

ORDER = json.loads((FIXTURES / "orders/create/two_warehouses_to_france.json").read_bytes())
# Advisory locks are held database-wide: a shop of the test's own keeps other tests' jobs clear of the one held here.
SHOP = f"departing-{uuid.uuid4().hex[:8]}.myshopify.com"


def deliver(service, topic: str, payload: dict, event_id: str) -> None:  # noqa: ANN001
    body = json.dumps(payload).encode()
    answer = requests.post(service.url, data=body, headers=headers_for(body, topic, SECRET, SHOP, event_id), timeout=10)
    assert answer.json()["status"] == "queued", answer.text


def waiting_for_locks(database: psycopg.Connection) -> int:
    """Advisory locks asked for and not yet granted: a job waiting for another's transaction to end."""
    return database.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()[0]


def both_done(redis: Redis) -> bool:
    """Both jobs have counted their outcome, and both workers are done with them."""
    counted = sum(int(count) for count in redis.hvals(JOB_OUTCOMES_KEY))
    return counted == 2 and all(worker.get_state() == WorkerStatus.IDLE for worker in Worker.all(connection=redis))


def test_a_shop_redacted_while_another_worker_runs_its_job_keeps_nothing_of_it(service):
    service.start_web()
    workers = [service.start_worker(), service.start_worker()]
    redis = Redis.from_url(service.redis.url)
    records = service.services()
    with psycopg.connect(POSTGRES_URL.replace("+psycopg", ""), autocommit=True) as database:
        # The order held as another job of it would hold it: the worker taking its orders/create waits mid-job.
        database.execute("SELECT pg_advisory_lock(%s)", (lock_key(SHOP, ORDER["id"]),))
        deliver(service, "orders/create", ORDER, "create")
        service.wait_for(lambda: waiting_for_locks(database) == 1, seconds=20)

        deliver(service, "shop/redact", {"shop_id": 1, "shop_domain": SHOP}, "gone")
        redact_job = redis.get(DeliveryKey(SHOP, "shop/redact", "gone").redis_key())
        # Taken by the other worker: it has run, or it waits for the job of the shop to end.
        service.wait_for(lambda: waiting_for_locks(database) == 2 or not redis.exists(b"rq:job:" + redact_job), 20)
        database.execute("SELECT pg_advisory_unlock_all()")

    service.wait_for(lambda: both_done(redis), seconds=20)
    assert [worker.poll() for worker in workers] == [None, None]
    assert FailedJobRegistry("shopworker", connection=redis).count == 0
    assert redis.hgetall(JOB_OUTCOMES_KEY) == {b"orders|processed": b"1", b"compliance|processed": b"1"}
    with records.engine.connect() as connection:
        held = {
            table.name: connection.execute(select(table).where(table.c.shop == SHOP)).all()
            for table in tables.metadata.sorted_tables
            if "shop" in table.c
        }
    records.engine.dispose()
    assert sorted(name for name, rows in held.items() if rows) == ["audit_log", "redacted_shops"]
    (audit,) = held["audit_log"]
    assert (audit.topic, audit.counts["orders"], audit.counts["events"]) == ("shop/redact", 1, 2)
    assert SHOP not in redis_text(redis)

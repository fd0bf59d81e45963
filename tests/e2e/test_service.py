"""The deployed shape: gunicorn and RQ worker processes, real Redis and PostgreSQL, replayed fixtures over HTTP."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from redis import Redis
from rq import Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.scheduler import RQScheduler

from queueing.retry import JOB_TIMEOUT
from queueing.serializer import JobSerializer
from tests.conftest import SECRET
from tests.support import FIXTURES, SHOP, fixture_deliveries, headers_for, shopify_samples

pytestmark = pytest.mark.e2e


def order(number: int) -> bytes:
    return json.dumps(
        {
            "id": number,
            "name": f"#{number}",
            "currency": "EUR",
            "total_price": "10.00",
            "updated_at": "2026-03-02T09:15:00+01:00",
            "line_items": [{"id": number * 10, "quantity": 1, "price": "10.00", "variant_id": 1}],
        }
    ).encode()


def post_order(service, number: int) -> int:
    body = order(number)
    headers = headers_for(body, "orders/create", SECRET, event_id=f"evt-{number}")
    return requests.post(service.url, data=body, headers=headers, timeout=10).status_code


def test_replayed_fixtures_reach_the_records_and_the_event_log(service):
    service.start_web()
    replayed = service.shopworker("replay", str(FIXTURES), "--url", service.url, "--shop", SHOP)
    assert replayed.stdout.count("queued") == len(fixture_deliveries())
    again = service.shopworker("replay", str(FIXTURES), "--url", service.url, "--shop", SHOP)
    assert again.stdout.count("duplicate") == len(fixture_deliveries())

    service.shopworker("worker", "--burst")

    records = service.records()
    assert records.get_order(SHOP, 5001)["fulfillment_status"] == "partial"
    assert records.get_fulfillment(SHOP, 7101)["delivered_at"] == datetime(2026, 3, 12, 10, 20, tzinfo=UTC)
    listing = service.shopworker("events", "list", "--status", "processed").stdout
    assert len(listing.splitlines()) == 1 + len(fixture_deliveries())
    assert "fulfillments/update" in listing
    records.db.engine.dispose()


def test_every_shopify_sample_is_taken_and_processed_without_credentials(service, tmp_path):
    """Shopify's samples name their shop `{shop}.myshopify.com`; the privacy topics must name the shop delivering."""
    for topic, body in shopify_samples():
        (tmp_path / f"{topic.replace('/', '__')}.json").write_bytes(body)
    service.start_web()
    replayed = service.shopworker("replay", str(tmp_path), "--url", service.url, "--shop", SHOP, "--allow-destructive")
    assert "HTTP" not in replayed.stdout
    service.shopworker("worker", "--burst")
    assert FailedJobRegistry("shopworker", connection=Redis.from_url(service.redis.url)).count == 0
    failed = service.shopworker("events", "list", "--status", "failed").stdout
    assert failed == ""


def test_an_event_can_be_replayed_from_the_log(service):
    service.start_web()
    assert post_order(service, 1) == 200
    service.shopworker("worker", "--burst")
    _header, line = service.shopworker("events", "list").stdout.splitlines()
    event_id = line.split()[0]
    assert "queued again" in service.shopworker("events", "replay", event_id).stdout
    service.shopworker("worker", "--burst")
    header, line = service.shopworker("events", "list").stdout.splitlines()
    assert line[: header.index("attempts") + len("attempts")].split()[-1] == "2"
    missing = service.shopworker("events", "replay", "999999", check=False)
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: no event with id 999999")


def test_redis_stopped_midway_gives_503s_and_nothing_is_lost_once_shopify_retries(service):
    service.start_web()
    service.start_worker()
    assert [post_order(service, n) for n in range(1, 21)] == [200] * 20
    service.redis.stop()
    assert {post_order(service, n) for n in range(21, 41)} == {503}
    service.redis.start()
    retried = [post_order(service, n) for n in range(21, 41)]
    assert retried == [200] * 20
    records = service.records()
    service.wait_for(lambda: records.count("orders", SHOP) == 40)
    service.wait_for(lambda: {e.status for e in records.list_events(limit=100)} == {"processed"})
    assert all(e.attempts == 1 for e in records.list_events(limit=100))
    records.db.engine.dispose()


def test_a_worker_killed_mid_job_loses_nothing(service):
    service.env["WORKER_MAINTENANCE_SECONDS"] = "2"
    service.start_web()
    assert {post_order(service, n) for n in range(1, 301)} == {200}
    worker = service.start_worker()
    records = service.records()
    service.wait_for(lambda: records.count("orders", SHOP) >= 20)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    redis = Redis.from_url(service.redis.url)
    started = StartedJobRegistry("shopworker", connection=redis, serializer=JobSerializer)
    # RQ declares a job abandoned once its worker's heartbeat lapses (at most the job timeout plus a minute);
    # run RQ's own maintenance as of that moment instead of waiting for it.
    started.cleanup(timestamp=(datetime.now(UTC) + timedelta(seconds=JOB_TIMEOUT + 120)).timestamp())
    successor = service.start_worker()
    service.wait_for(lambda: any(w.pid == successor.pid for w in Worker.all(connection=redis)))
    # The killed job is retried once the new worker has taken over RQ's scheduler from the dead one: at its next
    # maintenance after the dead scheduler's lock lapses. The lock would lapse within 61 s; let it lapse now.
    lock = RQScheduler.get_locking_key("shopworker")
    assert redis.exists(lock), "the dead worker's scheduler still holds its lock"
    redis.pexpire(lock, 1)
    service.wait_for(lambda: records.count("orders", SHOP) == 300, seconds=120)
    service.wait_for(lambda: [e.status for e in records.list_events(limit=1000)] == ["processed"] * 300, seconds=120)
    assert FailedJobRegistry("shopworker", connection=redis).count == 0
    records.db.engine.dispose()


def test_a_job_whose_worker_is_killed_is_retried_within_about_two_minutes(service):
    """No shortcuts: the default maintenance interval, and RQ left to declare the job abandoned on its own."""
    service.start_web()
    assert {post_order(service, n) for n in range(1, 301)} == {200}
    redis = Redis.from_url(service.redis.url)
    started = StartedJobRegistry("shopworker", connection=redis, serializer=JobSerializer)
    worker = service.start_worker()
    records = service.records()
    try:
        service.wait_for(lambda: records.count("orders", SHOP) >= 20 and started.get_job_ids())
        os.killpg(worker.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        worker.wait()
        assert started.get_job_ids(), "the worker was killed between two jobs"
        service.start_worker()  # the platform restarts the worker

        processed = ["processed"] * 300
        service.wait_for(lambda: [e.status for e in records.list_events(limit=1000)] == processed, seconds=150)
        retried_after = time.monotonic() - killed_at
        print(f"the killed worker's job was retried and every event processed {retried_after:.0f} s after the kill")
        assert retried_after < 150
    finally:
        records.db.engine.dispose()

"""The queue's intake against a real Redis: what RQ stores for a webhook's job and for a job queued on purpose (a
replay, a follow-up, a check due later), and the delivery marks a shop's redaction finds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq.job import Job
from rq.registry import ScheduledJobRegistry

from queueing.intake import Intake
from queueing.keys import DeliveryKey, seen_keys_of
from queueing.retry import FAILURE_TTL, JOB_TIMEOUT, RESULT_TTL, RETRY_INTERVALS
from queueing.serializer import JobSerializer
from tests.support import SHOP

ORDER_JOB = "worker.jobs.order_event"
ENVELOPE = {"shop": SHOP, "topic": "orders/create", "event_id": "evt-1", "payload": {"id": 1001}}
# What queueing/retry.py promises every job: its retries at their intervals, its result and failure kept so long,
# the job stopped after so long.
POLICY = {
    "retries_left": len(RETRY_INTERVALS),
    "retry_intervals": RETRY_INTERVALS,
    "result_ttl": RESULT_TTL,
    "failure_ttl": FAILURE_TTL,
    "timeout": JOB_TIMEOUT,
}


@pytest.fixture
def intake(redis: Redis) -> Intake:
    return Intake(redis, "shopworker", dedup_seconds=600)


def stored(redis: Redis, job_id: str) -> Job:
    return Job.fetch(job_id, connection=redis, serializer=JobSerializer)


def policy_of(job: Job) -> dict[str, object]:
    return {name: getattr(job, name) for name in POLICY}


def queued_ids(redis: Redis) -> list[str]:
    return [job_id.decode() for job_id in redis.lrange("rq:queue:shopworker", 0, -1)]


def test_a_webhooks_job_is_stored_with_the_retry_policy(intake, redis):
    assert intake.submit(DeliveryKey(SHOP, "orders/create", "evt-1"), ORDER_JOB, ENVELOPE)
    (job_id,) = queued_ids(redis)
    job = stored(redis, job_id)
    assert policy_of(job) == POLICY
    assert (job.func_name, job.args, job.description) == (ORDER_JOB, [ENVELOPE], f"orders/create {SHOP} evt-1")


def test_a_webhooks_job_says_when_it_was_queued_not_when_the_first_webhook_was(intake, redis):
    intake.submit(DeliveryKey(SHOP, "orders/create", "evt-1"), ORDER_JOB, ENVELOPE)
    before = datetime.now(UTC)
    intake.submit(DeliveryKey(SHOP, "orders/create", "evt-2"), ORDER_JOB, ENVELOPE)
    job = stored(redis, queued_ids(redis)[1])
    assert before <= job.created_at and before <= job.enqueued_at
    assert job.description == f"orders/create {SHOP} evt-2"


def test_a_job_queued_on_purpose_is_stored_with_the_retry_policy(intake, redis):
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "replay of event 7")
    (job_id,) = queued_ids(redis)
    job = stored(redis, job_id)
    assert policy_of(job) == POLICY
    assert (job.func_name, job.args, job.description) == (ORDER_JOB, [ENVELOPE], "replay of event 7")


def test_a_job_due_later_waits_in_the_schedule_not_in_the_queue(intake, redis):
    due = datetime.now(UTC) + timedelta(hours=1)
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "check later", at=due, job_id="check-1")
    assert queued_ids(redis) == []
    registry = ScheduledJobRegistry("shopworker", connection=redis, serializer=JobSerializer)
    assert registry.get_job_ids() == ["check-1"]
    assert registry.get_scheduled_time("check-1") == due.replace(microsecond=0)
    assert policy_of(stored(redis, "check-1")) == POLICY


def test_a_job_id_already_waiting_keeps_its_job_and_says_so(intake, redis):
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "reconcile first", job_id="reconcile-1")
    assert not intake.enqueue(ORDER_JOB, {**ENVELOPE, "event_id": "evt-2"}, "reconcile again", job_id="reconcile-1")
    assert queued_ids(redis) == ["reconcile-1"]
    assert stored(redis, "reconcile-1").description == "reconcile first"


def test_a_job_id_already_scheduled_keeps_its_job_and_says_so(intake, redis):
    due = datetime.now(UTC) + timedelta(hours=1)
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "first", at=due, job_id="check-1")
    assert not intake.enqueue(ORDER_JOB, ENVELOPE, "second", at=due + timedelta(hours=1), job_id="check-1")
    assert stored(redis, "check-1").description == "first"


def test_the_same_replay_queued_twice_runs_twice(intake, redis):
    """Without a job id, queueing on purpose is not deduplicated: an operator's second replay is a second job."""
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "replay of event 7")
    assert intake.enqueue(ORDER_JOB, ENVELOPE, "replay of event 7")
    assert len(set(queued_ids(redis))) == 2


def test_each_thread_keeps_one_connection_of_the_pool_for_its_webhooks(intake, redis):
    """A thread's webhooks go over one connection it holds: none is checked out of the pool for each."""
    delivered, checked = threading.Barrier(3), threading.Event()

    def deliver(thread: int) -> None:
        for n in range(3):
            intake.submit(DeliveryKey(SHOP, "orders/create", f"evt-{thread}-{n}"), ORDER_JOB, ENVELOPE)
        delivered.wait()
        checked.wait()

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    delivered.wait()
    try:
        pool = redis.connection_pool
        assert (pool._created_connections, len(pool._in_use_connections)) == (2, 2)
        assert len(queued_ids(redis)) == 6
    finally:
        checked.set()
        for thread in threads:
            thread.join()


@pytest.mark.parametrize(
    ("shop", "other"),
    [
        ("little-twinkle-stars.myshopify.com", "little-twinkle-stars.myshopify.com.evil"),
        ("a*.myshopify.com", "ab.myshopify.com"),
        ("a?.myshopify.com", "ab.myshopify.com"),
        ("[ab].myshopify.com", "a.myshopify.com"),
        ("a\\b.myshopify.com", "a\\\\b.myshopify.com"),
    ],
)
def test_a_shops_delivery_marks_are_found_and_no_other_shops(redis, shop, other):
    for name in (shop, other):
        for topic in ("orders/create", "customers/redact"):
            redis.set(DeliveryKey(name, topic, "evt-1").redis_key(), "job")
    found = sorted(key.decode() for key in redis.scan_iter(match=seen_keys_of(shop)))
    assert found == [
        f"shopworker:seen:{shop}:customers/redact:evt-1",
        f"shopworker:seen:{shop}:orders/create:evt-1",
    ]

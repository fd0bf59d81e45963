"""A job holding a value the records cannot keep, or an order without `updated_at`, can never succeed: it is recorded
`failed` in the event log at once, with its reason, and not sent down RQ's retry ladder. The receiver refuses such
bodies; these jobs are queued as a replay, or a job queued before the receiver checked, would be."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rq import Queue

from queueing.serializer import JobSerializer
from queueing.topics import ORDER_JOB
from tests.support import SHOP
from worker.domain.events import Event

LINE = {"id": 11001, "quantity": 1, "title": "Star night light"}
AT = "2026-03-01T12:00:00Z"


def queue_order(stack, payload: dict, event_id: str) -> None:
    event = Event(SHOP, "orders/create", event_id, payload, datetime.now(UTC))
    stack.services.jobs.enqueue(ORDER_JOB, event.to_envelope(), f"orders/create {SHOP} {event_id}")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(
            {"id": 5001, "updated_at": AT, "line_items": [{**LINE, "title": "Star\u0000light"}]},
            "$.line_items[0].title contains a NUL character",
            id="a NUL",
        ),
        pytest.param(
            {"id": 2**63, "updated_at": AT, "line_items": [LINE]},
            "$.id is a number beyond the 64-bit integers",
            id="an id above 2^63-1",
        ),
        pytest.param(
            {"id": 5001, "created_at": AT, "line_items": [LINE]},
            "PayloadError: the order has no updated_at",
            id="an order without updated_at",
        ),
    ],
)
def test_a_value_the_records_cannot_hold_fails_at_once_with_its_reason(stack, payload, reason):
    queue_order(stack, payload, "unstorable")
    stack.work()

    (event,) = stack.services.records.list_events()
    assert (event.status, event.attempts) == ("failed", 1)
    assert reason in event.last_error and "not retried" in event.last_error
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)
    assert queue.scheduled_job_registry.get_job_ids() == []  # no retry waiting
    assert stack.failed_jobs() == []


def test_a_string_longer_than_its_column_fails_at_once_in_postgresql(stack):
    if stack.services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps strings of any length")
    queue_order(stack, {"id": 5001, "updated_at": AT, "name": "#" + "9" * 200, "line_items": [LINE]}, "too-long")
    stack.work()

    (event,) = stack.services.records.list_events()
    assert (event.status, event.attempts) == ("failed", 1)
    assert "value too long for type character varying(100)" in event.last_error
    assert "#999" not in event.last_error  # the driver's words, not the statement's parameters
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)
    assert queue.scheduled_job_registry.get_job_ids() == []

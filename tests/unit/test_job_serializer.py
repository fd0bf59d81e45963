"""The job data format in Redis: what a queued webhook costs there, and that every job stays readable."""

from __future__ import annotations

import orjson

from queueing.serializer import ZSTD_MAGIC, JobSerializer
from tests.support import shopify_samples

ORDER = dict(shopify_samples())["orders/create"]


def order_job(body: bytes) -> tuple:
    envelope = {"shop": "a.myshopify.com", "topic": "orders/create", "event_id": "e1", "payload": orjson.Fragment(body)}
    return ("worker.jobs.order_event", None, (envelope,), {})


def test_a_queued_15_kb_order_takes_under_a_fifth_of_its_size_and_reads_back_whole():
    data = JobSerializer.dumps(order_job(ORDER))
    assert data.startswith(ZSTD_MAGIC)
    assert len(data) < len(ORDER) / 5
    (_, _, (envelope,), _) = JobSerializer.loads(data)
    assert envelope["payload"] == orjson.loads(ORDER)


def test_a_small_job_stays_plain_json_any_json_reader_can_read():
    data = JobSerializer.dumps(("worker.jobs.send_action", None, ({"action_id": 7},), {}))
    assert orjson.loads(data) == ["worker.jobs.send_action", None, [{"action_id": 7}], {}]


def test_a_job_queued_as_plain_json_before_compression_is_still_read():
    plain = orjson.dumps(order_job(ORDER))
    assert JobSerializer.loads(plain)[2][0]["payload"]["id"] == orjson.loads(ORDER)["id"]

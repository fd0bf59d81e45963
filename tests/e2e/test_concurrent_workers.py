"""Two `shopworker worker` processes taking events of one order at once: each event's job holds the order, so the
other worker's job for it waits until the first has committed, and their writes never interleave."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from redis import Redis
from rq.registry import FailedJobRegistry
from rq.worker import Worker

from tests.conftest import SECRET
from tests.fakeshopify import FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.support import headers_for

pytestmark = pytest.mark.e2e

SHOP = "little-twinkle-stars.myshopify.com"  # config/locations.toml lists its locations: its orders are split
US_DISTRIBUTOR = 655441491
ORDER_ID = 4_400_000_001
EDITS = 11


@pytest.fixture
def slow_shop() -> Iterator[RunningFakeShop]:
    """A shop answering each Admin API request after 0.15 s: a job planning the order spends about half a second
    in it, so two workers planning the same order at once would overlap there."""
    state = FakeShop(answer_seconds=0.15)
    state.add_order(example_order(id=ORDER_ID, admin_graphql_api_id=f"gid://shopify/Order/{ORDER_ID}"), US_DISTRIBUTOR)
    with serve_fake_shop(state) as running:
        yield running


def deliver(service, topic: str, payload: dict, event_id: str) -> None:  # noqa: ANN001
    body = json.dumps(payload).encode()
    answer = requests.post(service.url, data=body, headers=headers_for(body, topic, SECRET, SHOP, event_id), timeout=10)
    assert answer.status_code == 200, answer.text


def planning_windows(shop: RunningFakeShop) -> list[tuple[str, float, float]]:
    """The Admin API reads only a plan makes (the order first, the inventory last), in the order they began."""
    return sorted(
        (span for span in shop.state.spans if span[0] in ("FetchOrder", "FetchInventory")), key=lambda span: span[1]
    )


def test_two_workers_never_interleave_their_work_on_one_order(service, slow_shop):
    service.env.update({"SHOPIFY_ADMIN_URL": slow_shop.base_url, "SHOPIFY_ACCESS_TOKEN": slow_shop.access_token})
    service.start_web()
    service.start_worker()
    service.start_worker()
    order = example_order(id=ORDER_ID, admin_graphql_api_id=f"gid://shopify/Order/{ORDER_ID}")
    deliver(service, "orders/create", order, "create")
    for n in range(1, EDITS + 1):  # each edit has the order planned again
        edit = {"order_edit": {"id": n, "order_id": ORDER_ID, "committed_at": "2026-01-06T16:00:00-05:00"}}
        deliver(service, "orders/edited", edit, f"edit-{n}")

    records = service.records()
    try:
        service.wait_for(lambda: len(records.list_events(status="processed")) == 1 + EDITS, seconds=120)
        events = records.list_events()
    finally:
        records.db.engine.dispose()
    redis = Redis.from_url(service.redis.url)
    assert FailedJobRegistry("shopworker", connection=redis).count == 0
    assert [event.attempts for event in events] == [1] * (1 + EDITS)  # no job failed on another's half-done plan
    # Both workers took jobs (a finished job is not kept, so RQ's per-worker counts say who worked).
    assert sorted(worker.successful_job_count > 0 for worker in Worker.all(connection=redis)) == [True, True]

    windows = planning_windows(slow_shop)
    assert [name for name, _start, _end in windows] == ["FetchOrder", "FetchInventory"] * (1 + EDITS)
    for (_earlier, _start, ended), (_later, began, _end) in zip(windows, windows[1:], strict=False):
        assert began >= ended, "a worker read the order for its plan while the other was planning it"

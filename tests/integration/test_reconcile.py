"""Reconciliation: what Shopify's webhooks failed to bring is read back from the Admin API and processed as a
webhook would be, exactly once, even across a run that stops half-way."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.fakeshopify import FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.support import Stack, body_of, fake_shop_clients
from worker import jobs
from worker.adapters import tables
from worker.adapters.shopify import ShopifyError
from worker.adapters.tables.returns import returns
from worker.services import reconciliation as reconcile

SHOP = "fake-shop.myshopify.com"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ORDER_BASE = 6_100_000_000
WAREHOUSE = 111


def order(number: int, updated_at: str = "2026-03-01T10:00:00Z") -> dict:
    """A distinct order (its own ids for the order and its lines) changed at `updated_at`."""
    base = example_order()
    lines = [
        {
            **line,
            "id": line["id"] + number * 10,
            "admin_graphql_api_id": f"gid://shopify/LineItem/{line['id'] + number * 10}",
        }
        for line in base["line_items"]
    ]
    order_id = ORDER_BASE + number
    return example_order(
        id=order_id,
        admin_graphql_api_id=f"gid://shopify/Order/{order_id}",
        name=f"#{1000 + number}",
        updated_at=updated_at,
        line_items=lines,
        fulfillments=[],
    )


def at_minute(minute: int) -> str:
    return f"2026-03-01T{10 + minute // 60:02d}:{minute % 60:02d}:00Z"


@pytest.fixture
def shop() -> Iterator[RunningFakeShop]:
    with serve_fake_shop(FakeShop()) as running:
        yield running


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def connected(stack: Stack, shop: RunningFakeShop, waits: list[float]) -> Stack:
    """The stack with credentials for the fake shop, the shop under a store policy, and a fixed clock."""
    settings = replace(stack.services.settings, shop_policies={SHOP: "little-twinkle-stars"})

    def wait(seconds: float) -> None:  # recorded, and lived through by the fake shop's cost bucket
        waits.append(seconds)
        shop.state.pass_time(seconds)

    stack.connect(shop, settings, shopify=fake_shop_clients(shop, sleep=wait), now=lambda: NOW)
    return stack


def seed(shop: RunningFakeShop, orders: list[dict]) -> None:
    for each in orders:
        shop.state.add_order(each, location_id=WAREHOUSE)


def reconcile_and_work(stack: Stack) -> int:
    queued = reconcile.reconcile_all(stack.services)
    stack.work()
    assert stack.failed_jobs() == []
    return queued


def test_an_order_the_webhooks_missed_is_recorded_as_created_and_logged_as_reconciled(connected, shop):
    missed = order(1)
    seed(shop, [missed])

    assert reconcile_and_work(connected) == 1

    (recorded,) = connected.rows(tables.orders)
    assert (recorded["id"], recorded["updated_at"]) == (missed["id"], datetime(2026, 3, 1, 10, tzinfo=UTC))
    (event,) = connected.services.records.list_events(shop=SHOP)
    assert (event.topic, event.source, event.status) == ("orders/create", "reconcile", "processed")
    assert event.event_id == f"reconcile:{missed['id']}:2026-03-01T10:00:00Z"
    assert event.order_id == missed["id"]


def test_an_order_already_held_at_shopifys_version_changes_nothing(connected, shop):
    held = order(2)
    seed(shop, [held])
    connected.deliver("orders/updated", body_of(held), "webhook-1", shop=SHOP)
    connected.work()
    before = connected.snapshot()

    assert reconcile_and_work(connected) == 0

    assert connected.snapshot() == before
    assert [event.source for event in connected.services.records.list_events(shop=SHOP)] == ["webhook"]
    assert "FetchOrder" not in shop.state.received


def test_an_order_held_at_an_older_version_is_brought_up_to_date(connected, shop):
    connected.deliver("orders/updated", body_of(order(3, at_minute(0))), "webhook-1", shop=SHOP)
    connected.work()
    seed(shop, [order(3, at_minute(30)) | {"tags": "vip, gift"}])

    assert reconcile_and_work(connected) == 1

    (recorded,) = connected.rows(tables.orders)
    assert recorded["updated_at"] == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert recorded["payload"]["tags"] == "vip, gift"


def test_orders_are_read_a_page_at_a_time_and_the_next_run_starts_after_the_last_change(connected, shop):
    seed(shop, [order(n, at_minute(n)) for n in range(60)])

    assert reconcile_and_work(connected) == 60

    assert len(connected.rows(tables.orders)) == 60
    assert shop.state.received.count("OrdersUpdatedSince") == 3
    checkpoint = connected.services.reconcile.checkpoint(SHOP, reconcile.RESOURCE)
    assert checkpoint.cursor is None
    assert checkpoint.since == datetime(2026, 3, 1, 10, 59, tzinfo=UTC) - reconcile.OVERLAP

    assert reconcile_and_work(connected) == 0
    assert shop.state.received.count("OrdersUpdatedSince") == 4
    assert shop.state.answered.count("FetchOrder") == 60  # 60 reads of 608 points: some wait for the bucket


def test_a_run_cut_short_on_page_two_is_resumed_from_its_checkpoint_and_every_order_is_processed_once(connected, shop):
    seed(shop, [order(n, at_minute(n)) for n in range(60)])
    shop.state.inject("500", 3, operation="OrdersUpdatedSince", skip=1)

    with pytest.raises(ShopifyError, match="reconciliation stopped for fake-shop"):
        reconcile.reconcile_all(connected.services)
    connected.work()
    checkpoint = connected.services.reconcile.checkpoint(SHOP, reconcile.RESOURCE)
    assert checkpoint.cursor is not None
    assert len(connected.rows(tables.orders)) == 25

    assert reconcile_and_work(connected) == 35

    assert len(connected.rows(tables.orders)) == 60
    logged = connected.services.records.list_events(shop=SHOP, limit=1000)
    assert sorted(event.order_id for event in logged) == [ORDER_BASE + n for n in range(60)]
    assert {event.attempts for event in logged} == {1}
    assert shop.state.answered.count("FetchOrder") == 60


@pytest.mark.parametrize(
    "fault", ["429", "throttled"], ids=["HTTP 429 with Retry-After", "cost bucket empty (THROTTLED)"]
)
def test_a_throttled_shop_is_waited_for_and_reconciled_all_the_same(connected, shop, waits, fault):
    seed(shop, [order(n, at_minute(n)) for n in range(30)])
    shop.state.inject(fault, 2, operation="OrdersUpdatedSince", skip=1)

    assert reconcile_and_work(connected) == 30

    assert len(connected.rows(tables.orders)) == 30
    if fault == "429":
        assert waits == [1.0, 1.0]  # Retry-After
    else:  # the bucket emptied: a page of changes requests 452 points, refilled at 100 a second
        assert waits[:2] == [pytest.approx(4.52, abs=0.05)] * 2


def test_a_missed_fulfillment_is_recorded_as_the_update_webhook_would_have(connected, shop):
    shipped = order(4, at_minute(0))
    seed(shop, [shipped])
    connected.deliver("orders/updated", body_of(shipped), "webhook-1", shop=SHOP)
    connected.work()
    line = shipped["line_items"][0]
    shop.state.add_fulfillment(
        shipped["id"],
        {
            "id": 5_500_000_001,
            "status": "success",
            "shipment_status": "in_transit",
            "created_at": at_minute(20),
            "updated_at": at_minute(40),
            "location_id": WAREHOUSE,
            "tracking_company": "UPS",
            "tracking_numbers": ["1Z999"],
            "tracking_urls": ["https://ups.example/1Z999"],
            "line_items": [{"id": line["id"], "quantity": 1}],
        },
    )

    assert reconcile_and_work(connected) == 2  # the order moved with its fulfillment

    (fulfillment,) = connected.rows(tables.fulfillments)
    assert (fulfillment["order_id"], fulfillment["location_id"], fulfillment["shipment_status"]) == (
        shipped["id"],
        WAREHOUSE,
        "in_transit",
    )
    assert (fulfillment["tracking_company"], fulfillment["tracking_numbers"]) == ("UPS", ["1Z999"])
    assert fulfillment["line_items"] == [{"id": line["id"], "quantity": 1}]
    topics = {event.topic: event.source for event in connected.services.records.list_events(shop=SHOP)}
    assert topics["fulfillments/update"] == "reconcile"


def test_a_return_requested_without_a_webhook_is_judged_and_later_statuses_are_caught_up(connected, shop):
    returned = order(5, at_minute(0))
    seed(shop, [returned])
    return_gid = shop.state.add_return(returned["id"], [(returned["line_items"][0]["id"], 1, "defective")])
    return_id = int(return_gid.rsplit("/", 1)[1])

    assert reconcile_and_work(connected) == 2  # the order, and the return request

    (record,) = connected.rows(returns)
    assert (record["return_id"], record["order_id"]) == (return_id, returned["id"])
    shop.state.returns[return_id].status = "CLOSED"
    shop.state.orders[returned["id"]]["updated_at"] = at_minute(90)

    reconcile_and_work(connected)

    (record,) = connected.rows(returns)
    assert record["shopify_status"] == "closed"
    logged = {event.topic for event in connected.services.records.list_events(shop=SHOP) if event.source == "reconcile"}
    assert {"returns/request", "returns/close"} <= logged

    shop.state.returns[return_id].status = "OPEN"
    shop.state.orders[returned["id"]]["updated_at"] = at_minute(120)

    reconcile_and_work(connected)

    (record,) = connected.rows(returns)
    assert record["shopify_status"] == "open"
    logged = {event.topic for event in connected.services.records.list_events(shop=SHOP) if event.source == "reconcile"}
    assert "returns/reopen" in logged


def test_missing_webhook_subscriptions_are_a_warning_on_readyz_that_stays_ready(connected, shop):
    subscribed = [topic for topic in reconcile.needed_topics() if topic not in ("orders/paid", "returns/request")]
    shop.state.webhook_topics = [topic.upper().replace("/", "_") for topic in subscribed]

    reconcile_and_work(connected)

    ready = connected.client.get("/readyz")
    assert ready.status_code == 200
    (warning,) = ready.json["warnings"]
    assert warning.startswith(f"{SHOP} has no webhook subscription for orders/paid, returns/request")

    shop.state.webhook_topics.extend(["ORDERS_PAID", "RETURNS_REQUEST"])
    reconcile_and_work(connected)
    assert connected.client.get("/readyz").json["warnings"] == []
    connected.client.application.extensions["shopworker_db_probe"].dispose()


def test_the_schedule_runs_reconciliation_and_without_credentials_it_says_so_and_reads_nothing(stack, shop, caplog):
    assert "reconcile" in jobs.periodic.SCHEDULE
    stack.services.settings = replace(stack.services.settings, shop_policies={SHOP: "little-twinkle-stars"})
    seed(shop, [order(6)])

    with caplog.at_level(logging.INFO, logger="worker.services.reconciliation"):
        assert jobs.run_periodic({"name": "reconcile"}) == 0

    assert "no shop has credentials" in caplog.text
    assert shop.state.received == []

"""Multi-location split in the worker: an order webhook in, Shopify's fulfillment orders moved and held to the plan,
the plan recorded, the order noted; repeats change nothing, a cancellation stops what is not yet sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from queueing.topics import JOB_FOR_TOPIC
from tests.fakeshopify import FakeShop, RunningFakeShop, serve_fake_shop
from tests.fakeshopify.demo_store import CHINA, NIGHT_LIGHT, STOCK_AFTER_US_COMMIT, US
from tests.support import SHOP, Stack, fake_shop_clients, fixture_deliveries, sample_deliveries
from worker import jobs
from worker.domain.events import Event

ORDER_ID = 5001
NIGHT_LIGHT_LINE, MOON_PLUSH_LINE, BLANKET_LINE = 11001, 11002, 11003
CUSTOMER_NOTE = "Please gift wrap the moon plush"


def fixture(topic: str) -> dict:
    return json.loads(next(body for t, _, body in fixture_deliveries() if t == topic))


def order_created() -> dict:
    """Two night lights, a moon plush and a blanket (and a gift card) for a customer in France."""
    return {**fixture("orders/create"), "note": CUSTOMER_NOTE}


@pytest.fixture
def shop() -> Iterator[RunningFakeShop]:
    """The order assigned to the US distributor, as Shopify routes it; inventory as Shopify reports it once the
    order has committed its units there (one night light on hand for two ordered, no moon plush, one blanket)."""
    state = FakeShop()
    state.add_order(order_created(), location_id=US)
    for variant, location, available in STOCK_AFTER_US_COMMIT:
        state.set_inventory(variant, location, available)
    with serve_fake_shop(state) as running:
        yield running


def connect(stack: Stack, shop: RunningFakeShop) -> None:
    stack.connect(shop, shopify=fake_shop_clients(shop, max_attempts=2))


def deliver(stack: Stack, topic: str, payload: dict, event_id: str) -> None:
    stack.deliver(topic, json.dumps(payload).encode(), event_id)
    stack.work()


def run_job_again(stack: Stack, topic: str, payload: dict, event_id: str) -> str:
    """The same event handled once more, as after the dedup window or a replay."""
    envelope = Event(SHOP, topic, event_id, payload, datetime.now(UTC)).to_envelope(source="replay")
    return getattr(jobs, JOB_FOR_TOPIC[topic].rsplit(".", 1)[1])(envelope)


def assignment(state: FakeShop) -> list[tuple[str, int, list[tuple[int, int]]]]:
    """(status, location, [(line item, units)]) for each of the order's fulfillment orders, in a stable order."""
    return sorted(
        (fo.status, fo.location_id, sorted((line.line_item_id, line.remaining_quantity) for line in fo.lines))
        for fo in state.fulfillment_orders_of(ORDER_ID)
    )


SHIPPED_AS_PLANNED = [
    ("ON_HOLD", US, [(NIGHT_LIGHT_LINE, 1)]),
    ("OPEN", US, [(NIGHT_LIGHT_LINE, 1), (BLANKET_LINE, 1)]),
    ("OPEN", CHINA, [(MOON_PLUSH_LINE, 1)]),
]


def mutation_counts(state: FakeShop) -> dict[str, int]:
    names = ("MoveFulfillmentOrder", "SplitFulfillmentOrder", "HoldFulfillmentOrder", "SetOrderNote")
    return {name: len(state.mutations_named(name)) for name in names}


def test_a_two_location_order_is_moved_held_and_noted_so_what_is_ready_ships_first(stack, shop):
    connect(stack, shop)
    deliver(stack, "orders/create", order_created(), "create")

    assert stack.failed_jobs() == []
    assert assignment(shop.state) == SHIPPED_AS_PLANNED
    (held,) = [fo for fo in shop.state.fulfillment_orders_of(ORDER_ID) if fo.status == "ON_HOLD"]
    assert [hold["reason"] for hold in held.holds] == ["INVENTORY_OUT_OF_STOCK"]
    assert "only 1 in stock" in held.holds[0]["reasonNotes"]
    assert mutation_counts(shop.state) == {
        "MoveFulfillmentOrder": 1,
        "SplitFulfillmentOrder": 0,
        "HoldFulfillmentOrder": 1,
        "SetOrderNote": 1,
    }
    note = shop.state.orders[ORDER_ID]["note"]
    assert note.splitlines()[0] == CUSTOMER_NOTE
    assert note.splitlines()[1] == (
        "Ships in 2 packages: Moon plush x1 from China distributor (about 9 days); "
        "Star night light x1, Glow blanket x1 from US distributor (about 13 days). "
        "Waiting for stock: Star night light x1 (only 1 in stock)."
    )
    (plan,) = stack.services.split.plans(SHOP, ORDER_ID)
    assert (plan.status, plan.trigger, plan.plan["packages"]) == ("planned", "orders/create", 2)
    assert plan.plan_hash == plan.plan["plan_hash"]
    assert (plan.applied, plan.outcome["state"]) == ("sent", "applied")
    assert [step["step"] for step in plan.outcome["steps"]] == ["move", "hold"]
    assert stack.services.outbox.get(plan.note_action_id).status == "sent"


def test_the_same_order_webhook_again_splits_nothing_twice_and_records_one_plan(stack, shop):
    connect(stack, shop)
    deliver(stack, "orders/create", order_created(), "create")
    before = mutation_counts(shop.state)

    assert run_job_again(stack, "orders/create", order_created(), "create") == "processed"
    stack.work()

    assert mutation_counts(shop.state) == before
    assert assignment(shop.state) == SHIPPED_AS_PLANNED
    assert len(stack.services.split.plans(SHOP, ORDER_ID)) == 1
    assert len(stack.services.outbox.list()) == 2


def test_routing_complete_for_the_orders_fulfillment_order_replans_it_to_the_same_plan(stack, shop):
    connect(stack, shop)
    (fulfillment_order,) = shop.state.fulfillment_orders_of(ORDER_ID)
    routed = {"fulfillment_order": {"id": f"gid://shopify/FulfillmentOrder/{fulfillment_order.id}", "status": "open"}}
    deliver(stack, "fulfillment_orders/order_routing_complete", routed, "routed-early")
    assert stack.services.split.plans(SHOP, ORDER_ID) == []

    deliver(stack, "orders/create", order_created(), "create")
    before = mutation_counts(shop.state)
    deliver(stack, "fulfillment_orders/order_routing_complete", routed, "routed")

    assert stack.failed_jobs() == []
    assert mutation_counts(shop.state) == before
    assert [p.trigger for p in stack.services.split.plans(SHOP, ORDER_ID)] == ["orders/create"]


def test_an_edit_that_removes_a_line_replans_and_renotes_without_moving_anything_again(stack, shop):
    connect(stack, shop)
    deliver(stack, "orders/create", order_created(), "create")
    before = mutation_counts(shop.state)
    with shop.state.lock:
        for fo in shop.state.fulfillment_orders_of(ORDER_ID):
            fo.lines = [line for line in fo.lines if line.line_item_id != BLANKET_LINE]
        order = shop.state.orders[ORDER_ID]
        order["line_items"] = [item for item in order["line_items"] if item["id"] != BLANKET_LINE]
    edit = {"order_edit": {"id": 1, "order_id": ORDER_ID, "line_items": {"removals": [{"id": BLANKET_LINE}]}}}

    deliver(stack, "orders/edited", edit, "edited")

    assert stack.failed_jobs() == []
    first, second = stack.services.split.plans(SHOP, ORDER_ID)
    assert (first.status, second.status, second.trigger) == ("superseded", "planned", "orders/edited")
    assert mutation_counts(shop.state) == {**before, "SetOrderNote": before["SetOrderNote"] + 1}
    assert "Glow blanket" not in shop.state.orders[ORDER_ID]["note"]
    assert shop.state.orders[ORDER_ID]["note"].count("Ships in") == 1


def test_a_cancelled_order_has_its_unsent_plan_actions_cancelled_and_never_resent(stack, shop):
    connect(stack, shop)
    run_job_again(stack, "orders/create", order_created(), "create")  # planned; its sender jobs wait in the queue
    cancelled = {
        **order_created(),
        "cancelled_at": "2026-03-02T10:00:00+01:00",
        "updated_at": "2026-03-02T10:00:00+01:00",
    }

    run_job_again(stack, "orders/cancelled", cancelled, "cancelled")

    (plan,) = stack.services.split.plans(SHOP, ORDER_ID)
    assert (plan.status, plan.reason) == ("cancelled", "order cancelled")
    statuses = {stack.services.outbox.get(i).status for i in (plan.apply_action_id, plan.note_action_id)}
    assert statuses == {"cancelled"}
    stack.services.now = lambda: datetime.now(UTC) + timedelta(minutes=10)
    assert jobs.resend_pending_actions() == 0
    run_job_again(stack, "orders/create", order_created(), "create")
    assert len(stack.services.split.plans(SHOP, ORDER_ID)) == 1


def test_a_sender_job_queued_before_the_cancellation_sends_nothing(stack, shop):
    connect(stack, shop)
    run_job_again(stack, "orders/create", order_created(), "create")
    run_job_again(stack, "orders/cancelled", {**order_created(), "cancelled_at": "2026-03-02T10:00:00+01:00"}, "c")

    stack.work()

    assert mutation_counts(shop.state) == {
        "MoveFulfillmentOrder": 0,
        "SplitFulfillmentOrder": 0,
        "HoldFulfillmentOrder": 0,
        "SetOrderNote": 0,
    }


def test_without_credentials_the_plan_is_recorded_as_skipped_and_no_job_fails(stack):
    deliver(stack, "orders/create", order_created(), "create")
    deliver(stack, "orders/create", order_created(), "create-again")

    assert stack.failed_jobs() == []
    (plan,) = stack.services.split.plans(SHOP, ORDER_ID)
    assert (plan.status, plan.reason, plan.plan) == ("skipped", "no Admin API access", None)
    assert stack.services.outbox.list() == []
    assert {e.status for e in stack.services.records.list_events()} == {"processed"}


def test_with_credentials_every_shopify_sample_is_processed_without_a_failed_job(stack):
    with serve_fake_shop(FakeShop()) as empty_shop:
        connect(stack, empty_shop)
        for topic, shop, body in sample_deliveries():
            stack.deliver(topic, body, f"sample:{topic}", shop=shop)
        stack.work()

    assert stack.failed_jobs() == []
    assert {e.status for e in stack.services.records.list_events(shop=SHOP, limit=100)} <= {"processed", "stale"}


@pytest.mark.parametrize(
    ("policies", "shipments"),
    [
        pytest.param(
            {SHOP: "little-twinkle-stars"},
            [
                ("China distributor", [(NIGHT_LIGHT_LINE, 2), (MOON_PLUSH_LINE, 1)]),
                ("US distributor", [(BLANKET_LINE, 1)]),
            ],
            id="little-twinkle-stars: fulfilled at the location that can ship it to you the fastest",
        ),
        pytest.param(
            {},
            [
                ("China distributor", [(NIGHT_LIGHT_LINE, 1), (MOON_PLUSH_LINE, 1)]),
                ("US distributor", [(NIGHT_LIGHT_LINE, 1), (BLANKET_LINE, 1)]),
            ],
            id="a shop without a split objective: what is assigned stays, in the fewest packages",
        ),
    ],
)
def test_the_worker_plans_by_the_shops_own_split_objective(stack, shop, policies, shipments):
    # China now has night lights too: it delivers to France in 9 days, the US distributor in 13.
    shop.state.set_inventory(NIGHT_LIGHT, CHINA, 5)
    settings = replace(stack.services.settings, shop_policies=policies)
    stack.connect(shop, settings, shopify=fake_shop_clients(shop, max_attempts=2))
    deliver(stack, "orders/create", order_created(), "create")

    assert stack.failed_jobs() == []
    (plan,) = stack.services.split.plans(SHOP, ORDER_ID)
    found = [
        (s["location_name"], [(ln["line_item_id"], ln["quantity"]) for ln in s["lines"]])
        for s in plan.plan["shipments"]
    ]
    assert sorted(found) == shipments

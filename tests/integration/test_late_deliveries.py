"""Late deliveries end to end: signed webhooks in, time passing, the scheduled checks run as RQ runs them,
flags and cases out with their Shopify actions, each once."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from rq.job import Job

from config.settings import Settings
from queueing.serializer import JobSerializer
from tests.fakeshopify import FakeShop, serve_fake_shop
from tests.support import FIXTURES, SHOP, Stack, body_of, sample_deliveries
from worker import jobs
from worker.adapters import tables
from worker.adapters.tables.late import late_cases, late_flags

JEWELRY = "layered-jewelry.myshopify.com"
CHARMS = "charms-fr.myshopify.com"
STARLOW = "starlow.myshopify.com"
ORDER_GID = "gid://shopify/Order/5001"
# Fulfillment 7102 leaves on Tuesday 3 March 2026 (New York). Under little-twinkle-stars' rule its 21st business
# day is Wednesday 1 April and its 30th Tuesday 14 April: late from 2 April, escalated from 15 April.
LAST_ON_TIME_DAY = datetime(2026, 4, 1, 22, 0, tzinfo=UTC)
LATE_FROM = datetime(2026, 4, 2, 4, 0, tzinfo=UTC)
ESCALATED_FROM = datetime(2026, 4, 15, 4, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings,
        shop_policies={
            SHOP: "little-twinkle-stars",
            JEWELRY: "layered-jewelry",
            CHARMS: "charms-fr",
            STARLOW: "starlow",
        },
    )


def webhook(topic: str, case: str, **changes: Any) -> bytes:
    payload = json.loads((FIXTURES / topic / f"{case}.json").read_text())
    return body_of(payload | changes)


def china_shipment(**changes: Any) -> bytes:
    return webhook("fulfillments/create", "china_warehouse", **changes)


def carrier_event(status: str, happened_at: str, event_id: int = 990002) -> bytes:
    return webhook("fulfillment_events/create", "china_in_transit", id=event_id, status=status, happened_at=happened_at)


def delivered(updated_at: str) -> bytes:
    return china_shipment(shipment_status="delivered", updated_at=updated_at)


def at(stack: Stack, moment: datetime) -> None:
    """Time passes: the services' clock reads `moment`, and every check due by then runs as RQ's scheduler would
    run it (moved from the scheduled registry onto the queue), followed by the outbox sends it causes."""
    stack.services.now = lambda: moment
    queue = stack.services.jobs.queue
    registry = queue.scheduled_job_registry
    for job_id in registry.get_jobs_to_schedule(int(moment.timestamp())):
        job = Job.fetch(job_id, connection=stack.redis, serializer=JobSerializer)
        registry.remove(job)
        queue.enqueue_job(job)
    stack.work()
    assert stack.failed_jobs() == []


def scheduled_checks(stack: Stack) -> dict[str, datetime]:
    registry = stack.services.jobs.queue.scheduled_job_registry
    return {
        job_id: registry.get_scheduled_time(job_id).astimezone(UTC)
        for job_id in registry.get_job_ids()
        if job_id.startswith("late-")
    }


def outbox(stack: Stack) -> list[tuple[str, str, Any]]:
    return sorted((row["key"], row["action"], row["params"]) for row in stack.rows(tables.outbox))


def test_a_shipment_is_flagged_after_21_business_days_then_escalated_after_30_each_once(stack):
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.work()
    assert scheduled_checks(stack) == {"late-little-twinkle-stars_myshopify_com-7102-late": LATE_FROM}

    at(stack, LAST_ON_TIME_DAY)
    assert stack.rows(late_flags) == []

    at(stack, datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    (flag,) = stack.rows(late_flags)
    assert (flag["order_id"], flag["fulfillment_id"], flag["state"], flag["reason"], flag["status"]) == (
        5001,
        7102,
        "late",
        "possibly held at customs",
        "open",
    )
    assert (flag["elapsed_days"], flag["threshold"], flag["day_kind"], flag["calendar"]) == (22, 21, "business", "US")
    assert flag["calendar_version"].startswith("US/")
    assert [(key, action) for key, action, _ in outbox(stack)] == [
        (f"late:{SHOP}:7102:late", "add_tags"),
        (f"late:{SHOP}:7102:late:note", "set_order_note"),
    ]
    assert {row["status"] for row in stack.rows(tables.outbox)} == {"dry_run"}
    assert "late-little-twinkle-stars_myshopify_com-7102-escalated" in scheduled_checks(stack)

    at(stack, datetime(2026, 4, 14, 15, 0, tzinfo=UTC))
    assert stack.rows(late_cases) == []
    at(stack, datetime(2026, 4, 15, 15, 0, tzinfo=UTC))
    (case,) = stack.rows(late_cases)
    assert (case["state"], case["status"], case["elapsed_days"], case["threshold"], case["resolution"]) == (
        "escalated",
        "open",
        31,
        30,
        None,
    )
    assert "reship or refund" in case["reason"]
    assert (f"late:{SHOP}:7102:escalated", "add_tags", {"tags": ["late-delivery-escalated"]}) in outbox(stack)

    before = outbox(stack)
    stack.deliver("fulfillments/create", china_shipment(), "created-again")
    jobs.sweep_late_deliveries()
    at(stack, datetime(2026, 5, 15, 15, 0, tzinfo=UTC))
    assert (len(stack.rows(late_flags)), len(stack.rows(late_cases)), outbox(stack)) == (1, 1, before)
    assert scheduled_checks(stack) == {}


def test_a_delivery_before_the_threshold_produces_nothing(stack):
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.deliver("fulfillments/update", delivered("2026-03-20T10:00:00+01:00"), "delivered")
    stack.work()
    at(stack, datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    jobs.sweep_late_deliveries()
    assert (stack.rows(late_flags), stack.rows(late_cases), stack.rows(tables.outbox)) == ([], [], [])


def test_duplicated_and_out_of_order_updates_do_not_double_anything(stack):
    stack.services.now = lambda: datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    deliveries = [
        ("fulfillments/create", china_shipment()),
        ("fulfillments/update", china_shipment(shipment_status="in_transit", updated_at="2026-03-10T00:00:00Z")),
        ("fulfillment_events/create", carrier_event("in_transit", "2026-03-12T00:00:00Z")),
    ] * 3
    random.Random(5).shuffle(deliveries)
    for number, (topic, body) in enumerate(deliveries):
        stack.deliver(topic, body, f"delivery-{number}")
    stack.work()
    assert stack.failed_jobs() == []
    jobs.sweep_late_deliveries()
    assert (len(stack.rows(late_flags)), len(stack.rows(late_cases))) == (1, 1)
    assert [key for key, _, _ in outbox(stack)] == [
        f"late:{SHOP}:7102:escalated",
        f"late:{SHOP}:7102:late",
        f"late:{SHOP}:7102:late:note",
    ]


def test_a_delivery_after_the_flag_resolves_it_and_nothing_is_escalated(stack):
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.work()
    at(stack, datetime(2026, 4, 3, 12, 0, tzinfo=UTC))
    stack.deliver("fulfillments/update", delivered("2026-04-06T09:30:00+02:00"), "delivered")
    stack.work()
    at(stack, datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    jobs.sweep_late_deliveries()

    (flag,) = stack.rows(late_flags)
    assert (flag["status"], flag["resolution"]) == ("resolved", "delivered")
    assert flag["resolved_at"] == datetime(2026, 4, 6, 7, 30, tzinfo=UTC)
    assert stack.rows(late_cases) == []


def test_a_delivery_after_the_case_notes_the_arrival_and_leaves_the_case_open(stack):
    stack.services.now = lambda: datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.work()
    stack.deliver("fulfillment_events/create", carrier_event("delivered", "2026-04-21T16:00:00+02:00"), "arrived")
    stack.work()

    (case,) = stack.rows(late_cases)
    assert (case["status"], case["arrived_at"]) == ("open", datetime(2026, 4, 21, 14, 0, tzinfo=UTC))
    assert case["note"] == "The parcel arrived on 2026-04-21, 35 business days after shipping."
    assert stack.rows(late_flags)[0]["status"] == "resolved"


def test_a_carrier_failure_opens_a_case_at_once(stack):
    stack.services.now = lambda: datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.deliver("fulfillment_events/create", carrier_event("failure", "2026-03-10T08:00:00Z"), "failed")
    stack.work()

    (case,) = stack.rows(late_cases)
    assert (case["reason"], case["threshold"], case["elapsed_days"]) == (
        "the carrier reported a delivery failure",
        None,
        5,
    )
    assert stack.rows(late_flags) == []
    assert [key for key, _, _ in outbox(stack)] == [f"late:{SHOP}:7102:escalated"]


def test_an_unknown_carrier_status_is_kept_and_logged_and_the_clock_goes_on(stack, caplog):
    stack.services.now = lambda: datetime(2026, 4, 3, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.deliver("fulfillment_events/create", carrier_event("held_by_customs", "2026-03-20T08:00:00Z"), "odd")
    with caplog.at_level(logging.WARNING, logger="worker.services.late_deliveries"):
        stack.work()
    assert stack.failed_jobs() == []
    assert stack.services.records.get_fulfillment(SHOP, 7102)["shipment_status"] == "held_by_customs"
    assert "unknown shipment status 'held_by_customs'" in caplog.text
    assert len(stack.rows(late_flags)) == 1


def test_a_cancelled_fulfillment_has_no_clock(stack):
    stack.services.now = lambda: datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(status="cancelled"), "cancelled")
    stack.work()
    jobs.sweep_late_deliveries()
    assert (stack.rows(late_flags), stack.rows(late_cases), scheduled_checks(stack)) == ([], [], {})


@pytest.mark.parametrize(
    ("moment", "flagged"),
    [
        pytest.param(
            datetime(2026, 3, 15, 23, 0, tzinfo=UTC), False, id="12 calendar days: inside the 6-12 day window"
        ),
        pytest.param(datetime(2026, 3, 16, 4, 0, tzinfo=UTC), True, id="a delivery past the 12-day window is flagged"),
    ],
)
def test_layered_jewelry_counts_calendar_days(stack, moment, flagged):
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created", shop=JEWELRY)
    stack.work()
    at(stack, moment)
    flags = stack.rows(late_flags)
    assert len(flags) == int(flagged)
    if flagged:
        assert (flags[0]["day_kind"], flags[0]["elapsed_days"], flags[0]["threshold"]) == ("calendar", 13, 12)


def test_a_shop_without_a_store_policy_is_not_watched_and_says_so(stack, caplog):
    stack.services.now = lambda: datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created", shop="unknown-store.myshopify.com")
    with caplog.at_level(logging.INFO, logger="worker.services.late_deliveries"):
        stack.work()
        jobs.sweep_late_deliveries()
    assert (stack.rows(late_flags), scheduled_checks(stack)) == ([], {})
    assert "no store policy: late deliveries are not watched" in caplog.text


def test_every_shopify_sample_is_processed_without_a_failed_job_when_the_shop_is_watched(stack):
    stack.services.settings = replace(stack.services.settings, default_policy="starlow")
    for topic, shop, body in sample_deliveries():
        stack.deliver(topic, body, f"sample:{topic}", shop=shop)
    stack.work()
    assert stack.failed_jobs() == []


@pytest.fixture
def fake_shop() -> Iterator:
    state = FakeShop()
    state.add_order(json.loads((FIXTURES / "orders/create/two_warehouses_to_france.json").read_text()), 655441492)
    with serve_fake_shop(state) as running:
        yield running


def test_with_credentials_the_order_is_tagged_and_noted_in_shopify(stack, fake_shop):
    stack.connect(fake_shop, now=lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    stack.deliver("orders/create", webhook("orders/create", "two_warehouses_to_france", note="Gift wrap"), "order")
    stack.deliver("fulfillments/create", china_shipment(), "created")
    stack.work()
    at(stack, datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    assert fake_shop.state.tags[ORDER_GID] == ["late-delivery"]
    note = fake_shop.state.orders[5001]["note"]
    assert note.startswith("Gift wrap\n\nShipment 7102 (YunExpress YT2606300000012345): 22 business days in transit")
    assert note.endswith("possibly held at customs.")

    at(stack, datetime(2026, 4, 15, 15, 0, tzinfo=UTC))
    assert fake_shop.state.tags[ORDER_GID] == ["late-delivery", "late-delivery-escalated"]
    assert {row["status"] for row in stack.rows(tables.outbox)} == {"sent"}
    assert len(fake_shop.state.mutations_named("AddTags")) == 2


def notes_and_reasons(stack: Stack) -> tuple[list[str], list[str], list[str]]:
    notes = [params["note"] for _, action, params in outbox(stack) if action == "set_order_note"]
    return notes, [f["reason"] for f in stack.rows(late_flags)], [c["reason"] for c in stack.rows(late_cases)]


def test_charms_fr_flags_a_parcel_past_its_promised_8_to_13_days_and_escalates_after_21(stack):
    # Shipped 2026-03-04 00:00 UTC, March 4 in Paris: day 13 is March 17, day 21 March 25 (calendar days).
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created", shop=CHARMS)
    stack.work()
    at(stack, datetime(2026, 3, 17, 12, 0, tzinfo=UTC))
    assert stack.rows(late_flags) == []
    at(stack, datetime(2026, 3, 18, 12, 0, tzinfo=UTC))
    (flag,) = stack.rows(late_flags)
    assert (flag["elapsed_days"], flag["threshold"], flag["day_kind"], flag["calendar"]) == (14, 13, "calendar", "FR")
    notes, flags, _ = notes_and_reasons(stack)
    assert flags == ["past the promised 8-13 days of delivery"]
    assert notes == [
        "Shipment 7102 (YunExpress YT2606300000012345): 14 calendar days in transit, over 13 "
        "(promised: delivery in 8-13 days): past the promised 8-13 days of delivery."
    ]
    at(stack, datetime(2026, 3, 25, 12, 0, tzinfo=UTC))
    assert stack.rows(late_cases) == []
    at(stack, datetime(2026, 3, 26, 12, 0, tzinfo=UTC))
    (case,) = stack.rows(late_cases)
    assert (case["elapsed_days"], case["threshold"], case["reason"]) == (
        22,
        21,
        "in transit over 21 calendar days: verify with the carrier, then reship or refund, unless the address the "
        "customer gave was wrong",
    )


def test_starlow_flags_a_late_parcel_for_information_and_points_the_customer_at_the_carrier(stack):
    stack.services.now = lambda: datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    stack.deliver("fulfillments/create", china_shipment(), "created", shop=STARLOW)
    stack.work()
    at(stack, datetime(2026, 5, 15, 15, 0, tzinfo=UTC))
    notes, (flag,), (case,) = notes_and_reasons(stack)
    assert "Starlow is not responsible for lost or stolen packages or customs delays" in flag
    assert "not responsible for lost or stolen packages or customs delays" in notes[0]
    assert "USPS claim" in case and "promises no reship or refund" in case
    assert "reship or refund" not in case.replace("no reship or refund", "")

"""The periodic late-delivery sweep catches what a lost check or a missed webhook left behind, a page at a time,
and agrees with the clock shipment by shipment; what is late now can be listed without writing anything."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from config.policies import load_policy
from config.settings import Settings
from worker import bootstrap, jobs
from worker.adapters import tables
from worker.adapters.db import lock_key
from worker.adapters.tables.late import late_cases, late_flags
from worker.domain.clock import BusinessCalendar, classify
from worker.domain.late import worst
from worker.services import late_deliveries

TWINKLE = "little-twinkle-stars.myshopify.com"
JEWELRY = "layered-jewelry.myshopify.com"
UNWATCHED = "unknown-store.myshopify.com"
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def services(settings: Settings) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(
        replace(settings, shop_policies={TWINKLE: "little-twinkle-stars", JEWELRY: "layered-jewelry"})
    )
    built.now = lambda: NOW
    bootstrap.install(built)
    yield built
    bootstrap.install(None)
    built.engine.dispose()


def ship(
    services: bootstrap.Services,
    shop: str,
    fulfillment_id: int,
    shipped_at: datetime,
    shipment_status: str | None = None,
    status: str = "success",
) -> None:
    """A fulfillment as the records hold it, written without its webhook's handler (as if the webhook was lost)."""
    services.records.save_fulfillment(
        shop,
        {
            "id": fulfillment_id,
            "order_id": 5000 + fulfillment_id % 7,
            "status": status,
            "created_at": shipped_at.isoformat(),
            "updated_at": (shipped_at + timedelta(days=3)).isoformat(),
            "shipment_status": shipment_status,
        },
    )


def rows(services: bootstrap.Services, table) -> list[dict]:  # noqa: ANN001
    with services.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(table.select())]


def test_the_sweep_catches_a_shipment_whose_webhook_or_check_was_lost_and_acts_once(services):
    ship(services, TWINKLE, 7102, NOW - timedelta(days=35))
    assert jobs.sweep_late_deliveries() == 1
    assert jobs.sweep_late_deliveries() == 0
    (flag,) = rows(services, late_flags)
    assert (flag["fulfillment_id"], flag["elapsed_days"], flag["flagged_at"]) == (7102, 24, NOW)
    queued = [job.args[0]["action_id"] for job in services.jobs.queue.get_jobs()]
    assert sorted(queued) == sorted(row["id"] for row in rows(services, tables.outbox))
    assert len(queued) == 2


def test_the_sweep_records_what_the_clock_says_for_every_shipment_page_by_page(services, monkeypatch):
    monkeypatch.setattr(late_deliveries, "PAGE", 3)
    rng = random.Random(11)
    shipped = {}
    for fulfillment_id in range(1, 41):
        shop = rng.choice([TWINKLE, JEWELRY, UNWATCHED])
        shipped[shop, fulfillment_id] = NOW - timedelta(hours=rng.randrange(24 * 60))
        status = rng.choice([None, None, None, "in_transit", "failure", "delivered"])
        ship(services, shop, fulfillment_id, shipped[shop, fulfillment_id], status)
    ship(services, TWINKLE, 99, NOW - timedelta(days=50), status="cancelled")

    counts = late_deliveries.sweep(services)

    expected_flags, expected_cases = set(), set()
    for (shop, fulfillment_id), shipped_at in shipped.items():
        record = services.records.get_fulfillment(shop, fulfillment_id)
        if shop == UNWATCHED or record["delivered_at"] is not None:
            continue
        policy = load_policy({TWINKLE: "little-twinkle-stars", JEWELRY: "layered-jewelry"}[shop])
        calendar = BusinessCalendar(policy.country, policy.subdivision, policy.timezone)
        state = classify(calendar, policy.late, shipped_at, NOW).state
        if state in ("late", "escalated"):
            expected_flags.add((shop, fulfillment_id))
        if state == "escalated" or record["shipment_status"] == "failure":
            expected_cases.add((shop, fulfillment_id))
    assert {(r["shop"], r["fulfillment_id"]) for r in rows(services, late_flags)} == expected_flags
    assert {(r["shop"], r["fulfillment_id"]) for r in rows(services, late_cases)} == expected_cases
    assert (counts.flags, counts.cases, counts.unwatched) == (len(expected_flags), len(expected_cases), [UNWATCHED])
    assert expected_flags and expected_cases

    again = late_deliveries.sweep(services, now=NOW + timedelta(hours=1))
    assert (again.flags, again.cases, again.actions) == (0, 0, 0)


def test_the_sweep_can_be_limited_to_the_shops_of_some_stores(services):
    ship(services, TWINKLE, 1, NOW - timedelta(days=60))
    ship(services, JEWELRY, 2, NOW - timedelta(days=60))
    counts = late_deliveries.sweep(services, stores=["layered-jewelry"])
    assert (counts.flags, counts.cases) == (1, 1)
    assert {r["shop"] for r in rows(services, late_flags)} == {JEWELRY}


def test_what_is_late_now_is_listed_without_writing_and_with_when_it_became_late(services):
    ship(services, TWINKLE, 1, datetime(2026, 4, 20, 14, 0, tzinfo=UTC))  # 29 business days by 1 June: late
    ship(services, TWINKLE, 2, datetime(2026, 5, 25, 14, 0, tzinfo=UTC))  # on time
    ship(services, TWINKLE, 3, datetime(2026, 5, 25, 14, 0, tzinfo=UTC), shipment_status="failure")
    ship(services, JEWELRY, 4, datetime(2026, 4, 1, 14, 0, tzinfo=UTC))  # 61 calendar days: escalated
    late_deliveries.check_shipment(services, TWINKLE, 3)
    seen = []

    late = late_deliveries.late_shipments(services, NOW, progress=seen.append)

    assert late_deliveries.count_in_transit(services) == sum(seen) == 4
    assert [(s.shop, s.fulfillment_id, s.state, s.elapsed_days, s.since) for s in late] == [
        (JEWELRY, 4, "escalated", 61, datetime(2026, 5, 2, 4, 0, tzinfo=UTC)),
        (TWINKLE, 1, "late", 29, datetime(2026, 5, 20, 4, 0, tzinfo=UTC)),
        (TWINKLE, 3, "escalated", 5, NOW),
    ]
    assert len(rows(services, late_flags)) == 0


@pytest.mark.parametrize(
    ("states", "order_state"),
    [
        (["on_time", "late", "delivered"], "late"),
        (["late", "escalated"], "escalated"),
        (["delivered", "on_time"], "on_time"),
        ([], "on_time"),
    ],
)
def test_an_orders_state_is_the_worst_of_its_shipments(states, order_state):
    assert worst(states) == order_state


@pytest.mark.parametrize("work", ["a scheduled check", "the sweep"])
def test_late_work_beside_a_shop_redaction_waits_for_it_and_then_writes_nothing(services, work):
    if not services.db.atomic_jobs:
        pytest.skip("on SQLite a job's writes are not one transaction, and no lock holds the shop")
    ship(services, TWINKLE, 1, NOW - timedelta(days=60))
    run = {
        "a scheduled check": lambda: late_deliveries.check_shipment(services, TWINKLE, 1),
        "the sweep": lambda: late_deliveries.sweep(services).flags,
    }[work]
    done: list[object] = []
    with services.engine.connect() as redaction:  # what `shop/redact` holds while it deletes, not committed yet
        redaction.execute(select(func.pg_advisory_xact_lock(lock_key(TWINKLE))))
        redaction.execute(delete(tables.fulfillments).where(tables.fulfillments.c.shop == TWINKLE))
        beside = threading.Thread(target=lambda: done.append(run()))
        beside.start()
        beside.join(0.5)
        assert beside.is_alive(), f"{work} went on while the shop was being redacted"
        redaction.commit()
    beside.join(10)
    assert done == ["not shipped" if work == "a scheduled check" else 0]
    assert rows(services, late_flags) == rows(services, late_cases) == []

"""Event log retention: a processed event's payload goes after EVENT_RETENTION_DAYS, its record stays, and what
failed keeps its payload for replay."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select, update

from tests.support import FIXTURES, SHOP, Stack
from worker import jobs, periodic
from worker.adapters.tables import events
from worker.cli import register

ORDER = json.loads((FIXTURES / "orders" / "create" / "two_warehouses_to_france.json").read_text())


def logged(stack: Stack, count: int) -> list[int]:
    for number in range(count):
        body = json.dumps({**ORDER, "id": 9000 + number, "name": f"#{9000 + number}"}).encode()
        stack.deliver("orders/create", body, f"retention-{number}")
    stack.work()
    return [row["id"] for row in sorted(stack.rows(events), key=lambda row: row["id"])]


def processed_days_ago(stack: Stack, event_id: int, days: float, status: str = "processed") -> None:
    moment = stack.services.now() - timedelta(days=days)
    with stack.services.engine.begin() as connection:
        connection.execute(update(events).where(events.c.id == event_id).values(processed_at=moment, status=status))


def payloads(stack: Stack) -> dict[int, bool]:
    with stack.services.engine.connect() as connection:
        return {row.id: row.payload is not None for row in connection.execute(select(events.c.id, events.c.payload))}


def test_payloads_older_than_the_retention_go_and_the_records_stay(stack):
    old, recent, failed, stale = logged(stack, 4)
    processed_days_ago(stack, old, 31)
    processed_days_ago(stack, recent, 29)
    processed_days_ago(stack, failed, 40, status="failed")
    processed_days_ago(stack, stale, 45, status="stale")

    assert stack.services.settings.event_retention_days == 30
    assert jobs.prune_event_payloads() == 2
    assert payloads(stack) == {old: False, recent: True, failed: True, stale: False}
    assert jobs.prune_event_payloads() == 0
    assert [e.id for e in stack.services.records.list_events(limit=10)] == [stale, failed, recent, old]
    assert stack.services.records.get_order(SHOP, 9000)["name"] == "#9000"


def test_a_pruned_event_cannot_be_replayed_and_says_why_in_one_line(stack, settings):
    (old,) = logged(stack, 1)
    processed_days_ago(stack, old, 60)
    jobs.prune_event_payloads()
    env = {
        "SHOPIFY_API_SECRET": "s",
        "REDIS_URL": settings.redis_url,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
    }
    result = CliRunner().invoke(register(), ["events", "replay", str(old)], env=env)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: event {old}: its payload was pruned after the retention period\n",
    )


def test_the_prune_is_recurring_work_that_schedules_its_next_run_each_hour(stack):
    (old,) = logged(stack, 1)
    processed_days_ago(stack, old, 31)
    assert jobs.run_periodic({"name": "prune-event-payloads"}) == 1
    slot = periodic.next_slot(stack.services.now(), 3600)
    scheduled = stack.services.jobs.queue.scheduled_job_registry.get_job_ids()
    assert f"periodic-prune-event-payloads-{int(slot.timestamp())}" in scheduled


def test_an_event_id_the_log_cannot_hold_is_refused_in_one_line_before_any_lookup(settings):
    env = {"SHOPIFY_API_SECRET": "s", "REDIS_URL": settings.redis_url, "DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(register(), ["events", "replay", str(2**31)], env=env)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert f"{2**31} is not in the range 1<=x<=2147483647" in result.stderr

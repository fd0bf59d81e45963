"""From a signed webhook to records: the receiver, the real Redis queue, an RQ worker and the records database."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from rq import Queue

from queueing.serializer import JobSerializer
from queueing.topics import JOB_FOR_TOPIC
from tests.support import SHOP, Stack, fixture_deliveries, sample_deliveries, shopify_samples
from webhooks import create_app
from worker import bootstrap, jobs
from worker.adapters import tables
from worker.domain.events import Event


def deliver_fixtures(stack: Stack, deliveries: list[tuple[str, str, bytes]]) -> None:
    for topic, case, body in deliveries:
        stack.deliver(topic, body, event_id=f"{topic}:{case}")


def test_replayed_fixtures_become_orders_lines_and_shipments(stack):
    deliver_fixtures(stack, fixture_deliveries())
    stack.work()

    assert stack.failed_jobs() == []
    order = stack.services.records.get_order(SHOP, 5001)
    assert (order["financial_status"], order["fulfillment_status"]) == ("paid", "partial")
    lines = [r for r in stack.rows(tables.line_items) if r["order_id"] == 5001]
    assert sorted((r["id"], r["quantity"]) for r in lines) == [(11001, 2), (11002, 1), (11003, 1), (11004, 1)]
    us = stack.services.records.get_fulfillment(SHOP, 7101)
    assert (us["location_id"], us["shipment_status"]) == (655441491, "delivered")
    assert us["tracking_numbers"] == ["9400111202555842761234"]
    assert us["shipped_at"] == datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
    assert us["delivered_at"] == datetime(2026, 3, 12, 10, 20, tzinfo=UTC)
    china = stack.services.records.get_fulfillment(SHOP, 7102)
    assert (china["shipment_status"], china["delivered_at"]) == ("in_transit", None)
    cancelled = stack.services.records.get_order(SHOP, 5002)
    assert cancelled["cancelled_at"] == "2026-03-03T18:30:00-05:00"
    logged = stack.services.records.list_events(limit=100)
    assert len(logged) == len(fixture_deliveries())
    assert {e.status for e in logged} == {"processed"}


def test_three_shuffled_deliveries_of_every_fixture_leave_the_records_of_one_in_order_delivery(settings, redis):
    def run(deliveries: list[tuple[str, str, bytes]]) -> dict:
        services = bootstrap.build(settings)
        bootstrap.install(services)
        stack = Stack(create_app(settings, redis).test_client(), services, redis)
        deliver_fixtures(stack, deliveries)
        stack.work()
        assert stack.failed_jobs() == []
        snapshot = stack.snapshot()
        with services.engine.begin() as connection:  # a fresh start: every record of every table gone
            for table in reversed(tables.metadata.sorted_tables):
                connection.execute(table.delete())
        redis.flushdb()
        bootstrap.install(None)
        services.records.db.engine.dispose()
        return snapshot

    in_order = run(fixture_deliveries())
    tripled = fixture_deliveries() * 3
    random.Random(7).shuffle(tripled)
    assert run(tripled) == in_order


def test_a_job_run_again_after_the_dedup_window_changes_nothing(stack):
    envelopes = [
        Event(SHOP, topic, f"{topic}:{case}", json.loads(body), datetime.now(UTC)).to_envelope()
        for topic, case, body in fixture_deliveries()
    ]
    for envelope in envelopes:
        getattr(jobs, JOB_FOR_TOPIC[envelope["topic"]].rsplit(".", 1)[1])(envelope)
    once = stack.snapshot()
    shuffled = envelopes * 2
    random.Random(3).shuffle(shuffled)
    for envelope in shuffled:
        getattr(jobs, JOB_FOR_TOPIC[envelope["topic"]].rsplit(".", 1)[1])(envelope)
    assert stack.snapshot() == once
    assert {e.attempts for e in stack.services.records.list_events(limit=100)} == {3}


def test_an_older_order_update_arriving_late_is_logged_stale_and_overwrites_nothing(stack):
    deliveries = dict(((t, c), b) for t, c, b in fixture_deliveries())
    stack.deliver("orders/updated", deliveries[("orders/updated", "partially_shipped")], "newer")
    stack.deliver("orders/paid", deliveries[("orders/paid", "two_warehouses_to_france")], "older")
    stack.work()
    assert stack.services.records.get_order(SHOP, 5001)["fulfillment_status"] == "partial"
    statuses = {e.event_id: e.status for e in stack.services.records.list_events()}
    assert statuses == {"newer": "processed", "older": "stale"}


def test_a_carrier_event_before_its_fulfillment_is_kept_and_a_delivery_is_never_undone(stack):
    deliveries = dict(((t, c), b) for t, c, b in fixture_deliveries())
    stack.deliver("fulfillments/update", deliveries[("fulfillments/update", "us_warehouse_delivered")], "delivered")
    stack.deliver("fulfillments/create", deliveries[("fulfillments/create", "us_warehouse")], "created")
    stack.work()
    us = stack.services.records.get_fulfillment(SHOP, 7101)
    assert (us["shipment_status"], us["delivered_at"]) == ("delivered", datetime(2026, 3, 12, 10, 20, tzinfo=UTC))


def carrier_event(status: str, happened_at: str, event_id: int) -> bytes:
    deliveries = dict(((t, c), b) for t, c, b in fixture_deliveries())
    event = json.loads(deliveries[("fulfillment_events/create", "china_in_transit")])
    return json.dumps({**event, "id": event_id, "status": status, "happened_at": happened_at}).encode()


def test_carrier_events_delivered_out_of_order_leave_the_latest_status(stack):
    deliveries = dict(((t, c), b) for t, c, b in fixture_deliveries())
    stack.deliver("fulfillments/create", deliveries[("fulfillments/create", "china_warehouse")], "created")
    stack.deliver("fulfillment_events/create", carrier_event("out_for_delivery", "2026-03-09T08:00:00Z", 3), "third")
    stack.deliver("fulfillment_events/create", carrier_event("in_transit", "2026-03-06T08:00:00Z", 2), "second")
    stack.deliver("fulfillment_events/create", carrier_event("confirmed", "2026-03-04T08:00:00Z", 1), "first")
    stack.work()
    china = stack.services.records.get_fulfillment(SHOP, 7102)
    assert (china["shipment_status"], china["shipment_status_at"]) == (
        "out_for_delivery",
        datetime(2026, 3, 9, 8, 0, tzinfo=UTC),
    )
    statuses = {e.event_id: e.status for e in stack.services.records.list_events(topic="fulfillment_events/create")}
    assert statuses == {"third": "processed", "second": "stale", "first": "stale"}


def test_a_fulfillment_update_older_than_the_last_carrier_event_does_not_move_its_status_back(stack):
    deliveries = dict(((t, c), b) for t, c, b in fixture_deliveries())
    stack.deliver("fulfillment_events/create", carrier_event("out_for_delivery", "2026-03-09T08:00:00Z", 3), "carrier")
    update = {**json.loads(deliveries[("fulfillments/create", "china_warehouse")]), "shipment_status": "in_transit"}
    update["updated_at"] = "2026-03-06T08:00:00Z"
    stack.deliver("fulfillments/update", json.dumps(update).encode(), "update")
    stack.work()
    china = stack.services.records.get_fulfillment(SHOP, 7102)
    assert (china["shipment_status"], china["tracking_company"]) == ("out_for_delivery", "YunExpress")


def test_every_shopify_sample_is_processed_without_a_failed_job(stack):
    for topic, shop, body in sample_deliveries():
        stack.deliver(topic, body, f"sample:{topic}", shop=shop)
    stack.work()
    assert stack.failed_jobs() == []
    logged = stack.services.records.list_events(shop=SHOP, limit=100)
    assert {e.topic for e in logged} == {t for t, _ in shopify_samples() if t in JOB_FOR_TOPIC} - {"shop/redact"}
    assert {e.status for e in logged} <= {"processed", "stale"}


def test_a_failing_handler_is_logged_with_its_error_and_left_for_retry(stack):
    """A job queued before the receiver checked topic shapes (or a replay of one) still meets its handler."""
    broken = Event(SHOP, "fulfillments/create", "broken", {"id": 1}, datetime.now(UTC))
    stack.services.jobs.enqueue(JOB_FOR_TOPIC[broken.topic], broken.to_envelope(), "broken")
    stack.work()
    (event,) = stack.services.records.list_events()
    assert event.status == "failed"
    assert "order_id" in event.last_error
    job_ids = Queue("shopworker", connection=stack.redis, serializer=JobSerializer).scheduled_job_registry.get_job_ids()
    assert len(job_ids) == 1


def order_body(stack_fixture: str = "orders/create") -> bytes:
    return next(b for t, _, b in fixture_deliveries() if t == stack_fixture)


def test_customer_redaction_removes_personal_data_but_keeps_the_business_facts(stack):
    stack.deliver("orders/create", order_body(), "order")
    redact = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": 7001, "email": "camille@example.fr"},
        "orders_to_redact": [5001],
    }
    stack.deliver("customers/redact", json.dumps(redact).encode(), "redact")
    stack.work()
    order = stack.services.records.get_order(SHOP, 5001)
    text = json.dumps(order)
    assert "camille" not in text.lower() and "Durand" not in text and "rue des Lilas" not in text
    assert order["shipping_address"] == {"country": "France", "country_code": "FR", "province_code": None}
    assert order["total_price"] == "172.20" and len(order["line_items"]) == 4
    logged = stack.services.records.list_events(topic="orders/create")[0]
    assert "camille" not in json.dumps(logged.payload).lower()


def test_a_data_request_writes_an_export_of_what_we_hold(stack):
    stack.deliver("orders/create", order_body(), "order")
    request = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": 7001},
        "orders_requested": [5001],
        "data_request": {"id": 9999},
    }
    stack.deliver("customers/data_request", json.dumps(request).encode(), "export")
    stack.work()
    (export,) = stack.rows(tables.data_exports)
    assert (export["customer_id"], export["data_request_id"]) == (7001, 9999)
    assert [o["id"] for o in export["content"]["orders"]] == [5001]


def test_shop_redaction_removes_everything_we_hold_for_the_shop(stack):
    deliver_fixtures(stack, fixture_deliveries())
    stack.deliver("orders/create", order_body(), "other-shop", shop="another.myshopify.com")
    stack.deliver("shop/redact", json.dumps({"shop_id": 1, "shop_domain": SHOP}).encode(), "bye")
    stack.work()
    records = stack.services.records
    assert [records.count(t, SHOP) for t in ("events", "orders", "line_items", "fulfillments")] == [0, 0, 0, 0]
    assert records.get_order("another.myshopify.com", 5001) is not None


def test_privacy_topics_reach_the_records_of_every_area(stack):
    from worker.adapters.outbox import add_actions
    from worker.adapters.returns_store import Decided, ReturnRef
    from worker.adapters.tables.returns import refunds
    from worker.domain.actions import PlannedAction

    stack.deliver("orders/create", order_body(), "order")
    refund = {
        "id": 31,
        "order_id": 5001,
        "created_at": "2026-03-20T10:00:00Z",
        "refund_line_items": [],
        "refund_shipping_lines": [],
        "transactions": [],
        "order_adjustments": [],
    }
    stack.deliver("refunds/create", json.dumps(refund).encode(), "refund")
    stack.work()
    store = stack.services.returns
    request = {
        "lines": [
            {
                "line_item_id": 11001,
                "quantity": 1,
                "reason": "defective",
                "customer_note": "Call Camille Durand on +33 6 12 34 56 78",
            }
        ]
    }
    store.decide(
        ReturnRef(SHOP, 77, 5001, "requested"),
        Decided("awaiting_review", "review", {}, request, "little-twinkle-stars", "v1"),
        stack.services.now(),
    )

    with stack.services.engine.begin() as connection:
        planned = PlannedAction(
            SHOP, "set_order_note", "gid://shopify/Order/5001", {"note": "Camille: leave at the door"}, "note:5001"
        )
        note = add_actions(connection, [planned], stack.services.now()).ids["note:5001"]

    redact = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 7001}, "orders_to_redact": [5001]}
    stack.deliver("customers/redact", json.dumps(redact).encode(), "redact")
    stack.work()
    kept = store.get(SHOP, 77)
    assert "Camille" not in json.dumps(kept.request) and kept.request["lines"][0]["quantity"] == 1
    action = stack.services.outbox.get(note)
    assert (action.status, action.params) == ("cancelled", {})

    stack.deliver("shop/redact", json.dumps({"shop_id": 1, "shop_domain": SHOP}).encode(), "bye")
    stack.work()
    assert store.get(SHOP, 77) is None
    assert stack.rows(refunds) == []

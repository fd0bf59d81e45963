"""customers/redact against records full of one customer's personal data, checked in every row of every table."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from rq import Queue, SimpleWorker
from sqlalchemy import text, update

from queueing.serializer import JobSerializer
from queueing.topics import ORDER_JOB
from tests.support import FIXTURES, SHOP, TEST_SECRET, Stack, headers_for, redis_text
from worker.adapters import tables
from worker.adapters.outbox import add_actions
from worker.adapters.tables import privacy as privacy_tables
from worker.domain.actions import PlannedAction
from worker.domain.events import Event
from worker.rq_worker import HeartbeatWorker
from worker.services import events as events_service

BASE_ORDER = json.loads((FIXTURES / "orders/create/two_warehouses_to_france.json").read_bytes())
BASE_FULFILLMENT = json.loads((FIXTURES / "fulfillments/create/china_warehouse.json").read_bytes())
CAMILLE = 7001

# Everything below identifies Camille; none of it may be left anywhere once she asks to be forgotten.
NAME, SURNAME = "Camille", "Durand"
EMAIL, GUEST_EMAIL = "camille@example.fr", "c.durand.guest@example.fr"
PHONE, WORK_PHONE = "+33 6 12 34 56 78", "04 72 00 11 22"  # the work phone as typed, without a country code
STREET, BILLING_STREET, ZIP, CITY = "12 rue des Lilas", "3 impasse Berthelot", "69003", "Lyon"
BROWSER_IP, USER_AGENT = "203.0.113.42", "Mozilla/5.0 (Camille-Pixel-7)"
NOTE = "Leave with the concierge, Mme Durand works nights"
GIFT_MESSAGE = "Joyeux anniversaire Camille"
ENGRAVING = "C.D. 14-07-1991"
LATITUDE, LONGITUDE = 45.7597113, 4.8422777
STATUS_TOKEN = "b1946ac92492d2347c6235b4d2611184"  # the key of her order status page: whoever has it reads the order
PERSONAL = [NAME, SURNAME, EMAIL, GUEST_EMAIL, PHONE, WORK_PHONE, STREET, BILLING_STREET, ZIP, CITY, BROWSER_IP,
            USER_AGENT, NOTE, GIFT_MESSAGE, ENGRAVING, str(LATITUDE), str(LONGITUDE), STATUS_TOKEN]  # fmt: skip


def address(street: str, phone: str) -> dict[str, Any]:
    return {
        "first_name": NAME,
        "last_name": SURNAME,
        "name": f"{NAME} {SURNAME}",
        "address1": street,
        "address2": "Bâtiment B",
        "city": CITY,
        "zip": ZIP,
        "province": None,
        "province_code": None,
        "country": "France",
        "country_code": "FR",
        "phone": phone,
        "company": None,
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
    }


def order_numbered(order_id: int) -> dict[str, Any]:
    """The fixture order under another id, its lines' ids shifted with it (line ids are unique per shop)."""
    order = copy.deepcopy(BASE_ORDER)
    order.update(id=order_id, name=f"#{order_id}")
    for line in order["line_items"]:
        line["id"] += (order_id - BASE_ORDER["id"]) * 1000
    return order


def personal_order(order_id: int, customer: dict[str, Any] | None, email: str) -> dict[str, Any]:
    """Shopify's order with every personal field filled in: contact, addresses, client details, note, note
    attributes and line-item properties."""
    order = order_numbered(order_id)
    order.update(
        customer=customer,
        email=email,
        contact_email=email,
        phone=PHONE,
        note=NOTE,
        note_attributes=[{"name": "gift_message", "value": GIFT_MESSAGE}],
        browser_ip=BROWSER_IP,
        client_details={
            "browser_ip": BROWSER_IP,
            "user_agent": USER_AGENT,
            "accept_language": "fr-FR",
            "session_hash": None,
        },
        billing_address=address(BILLING_STREET, WORK_PHONE),
        shipping_address=address(STREET, PHONE),
        order_status_url=f"https://{SHOP}/73017229/orders/{STATUS_TOKEN}/authenticate?key=3e5f1b0d",
    )
    order["line_items"][0]["properties"] = [{"name": "Engraving", "value": ENGRAVING}]
    return order


def camille() -> dict[str, Any]:
    return {
        "id": CAMILLE,
        "email": EMAIL,
        "phone": PHONE,
        "first_name": NAME,
        "last_name": SURNAME,
        "note": NOTE,
        "default_address": {**address(STREET, PHONE), "id": 8001, "customer_id": CAMILLE},
        "addresses": [{**address(BILLING_STREET, WORK_PHONE), "id": 8002, "customer_id": CAMILLE}],
    }


def someone_else() -> dict[str, Any]:
    noe = {"first_name": "Noé", "last_name": "Martin", "address1": "5 quai Perrache", "city": "Villeurbanne",
           "zip": "69100", "country": "France", "country_code": "FR", "phone": "+33 6 99 99 99 99"}  # fmt: skip
    order = order_numbered(6001)
    order.update(
        customer={"id": 7002, "email": "noe@example.com", "first_name": "Noé", "last_name": "Martin"},
        email="noe@example.com",
        contact_email="noe@example.com",
        phone="+33 6 99 99 99 99",
        note="Noé's note",
        billing_address=noe,
        shipping_address=noe,
    )
    return order


def shipped_to_camille(fulfillment_id: int, order_id: int) -> dict[str, Any]:
    fulfillment = copy.deepcopy(BASE_FULFILLMENT)
    fulfillment.update(id=fulfillment_id, order_id=order_id, email=EMAIL, destination=address(STREET, PHONE))
    return fulfillment


def deliver(stack: Stack, topic: str, payload: dict[str, Any], event_id: str) -> None:
    assert stack.deliver(topic, json.dumps(payload).encode(), event_id) == "queued"


def every_row(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    return {table.name: stack.rows(table) for table in tables.metadata.sorted_tables}


def personal_in(text: str) -> list[str]:
    """Her data found in the text; a number counts only whole (a postcode inside a timestamp's microseconds is not)."""
    return [value for value in PERSONAL if re.search(rf"(?<!\d){re.escape(value)}(?!\d)", text)]


def leaks(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            text = json.dumps(row, default=str, ensure_ascii=False)
            found += [f"{table} {row.get('topic', '')}: {value!r}" for value in personal_in(text)]
    return found


def redact_camille(stack: Stack, orders_to_redact: list[int]) -> None:
    """The customers/redact request as Shopify sends it, followed by a data request of hers from earlier."""
    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/data_request", {**request, "orders_requested": [5001], "data_request": {"id": 42}}, "dr")
    stack.work()
    assert leaks(every_row(stack)), "the data request's export holds her data until she is forgotten"
    failed = stack.failed_jobs()
    deliver(stack, "customers/redact", {**request, "orders_to_redact": orders_to_redact}, "redact")
    stack.work()
    assert stack.failed_jobs() == failed


def test_a_redacted_customer_leaves_no_personal_data_in_any_row_of_any_table(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    updated = {**personal_order(5001, camille(), EMAIL), "updated_at": "2026-03-04T09:00:00Z"}
    deliver(stack, "orders/updated", updated, "5001u")
    deliver(stack, "fulfillments/create", shipped_to_camille(7102, 5001), "7102")
    deliver(stack, "orders/create", someone_else(), "6001")
    stack.work()
    assert leaks(every_row(stack)), "the records held her data before the request"

    redact_camille(stack, orders_to_redact=[5001])

    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))


def test_orders_found_only_through_orders_to_redact_are_redacted_too(stack):
    """A guest checkout carries no customer id, and an order we hold only by its shipment has no order row."""
    deliver(stack, "orders/create", personal_order(5003, None, GUEST_EMAIL), "5003")
    deliver(stack, "fulfillments/create", shipped_to_camille(7301, 5004), "7301")
    stack.work()

    redact_camille(stack, orders_to_redact=[5003, 5004])

    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))
    order = stack.services.records.get_order(SHOP, 5003)
    assert order["total_price"] == "172.20" and len(order["line_items"]) == 4


def test_her_orders_are_found_by_her_customer_id_or_her_email_in_any_case_once_their_logged_events_are_pruned(stack):
    """Shopify lists no order and the event log no longer holds the orders' payloads: a gift sent under another
    e-mail is hers by its customer id, a guest checkout by its e-mail."""
    deliver(stack, "orders/create", personal_order(5002, camille(), "gifts@example.org"), "5002")
    deliver(stack, "orders/create", personal_order(5003, None, EMAIL.title()), "5003")
    stack.work()
    stack.services.records.prune_payloads(datetime.now(UTC) + timedelta(minutes=1))

    redact_camille(stack, orders_to_redact=[])

    orders = sorted(stack.rows(tables.orders), key=lambda row: row["id"])
    assert [(row["id"], row["email"], row["customer_id"]) for row in orders] == [(5002, None, None), (5003, None, None)]
    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))


def test_her_logged_privacy_requests_keep_only_her_id_and_the_orders_listed(stack):
    """Enough to carry the request out again, and nothing else of hers."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()

    redact_camille(stack, orders_to_redact=[5001])

    requests = {row["topic"]: row["payload"] for row in stack.rows(tables.events) if row["topic"].startswith("cust")}
    about_her = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE}}
    assert requests == {
        "customers/data_request": {**about_her, "orders_requested": [5001], "data_request": {"id": 42}},
        "customers/redact": {**about_her, "orders_to_redact": [5001]},
    }


def test_redaction_clears_the_email_and_customer_columns_and_keeps_the_business_facts(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    deliver(stack, "orders/create", personal_order(5003, None, GUEST_EMAIL), "5003")
    stack.work()

    redact_camille(stack, orders_to_redact=[5003])

    rows = {row["id"]: row for row in stack.rows(tables.orders)}
    assert [(rows[i]["email"], rows[i]["customer_id"]) for i in (5001, 5003)] == [(None, None), (None, None)]
    assert [(rows[i]["total_price"], rows[i]["currency"], rows[i]["name"]) for i in (5001, 5003)] == [
        ("172.20", "EUR", "#5001"),
        ("172.20", "EUR", "#5003"),
    ]
    payload = rows[5001]["payload"]
    assert payload["shipping_address"] == {"country": "France", "country_code": "FR", "province_code": None}
    assert [line["quantity"] for line in payload["line_items"]] == [2, 1, 1, 1]
    assert sorted(row["id"] for row in stack.rows(tables.line_items) if row["order_id"] == 5001) == [
        11001,
        11002,
        11003,
        11004,
    ]
    assert stack.rows(tables.data_exports) == []


def test_redacting_one_customer_leaves_another_customers_records_as_they_were(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    deliver(stack, "orders/create", someone_else(), "6001")
    stack.work()
    (before,) = [row for row in stack.rows(tables.orders) if row["id"] == 6001]

    redact_camille(stack, orders_to_redact=[5001])

    (after,) = [row for row in stack.rows(tables.orders) if row["id"] == 6001]
    assert after == before
    assert (after["email"], after["customer_id"]) == ("noe@example.com", 7002)
    assert after["payload"]["phone"] == "+33 6 99 99 99 99"


def test_redacting_her_in_one_shop_leaves_her_in_another_shop_and_other_customers_exports_as_they_were(stack):
    """The same order and customer numbers in another shop, another order of hers there, and a data export of
    someone else in her shop."""
    other_shop = "starlow.myshopify.com"
    for shop, order_ids in ((SHOP, (5001,)), (other_shop, (5001, 6101))):
        for order_id in order_ids:
            body = json.dumps(personal_order(order_id, camille(), EMAIL)).encode()
            assert stack.deliver("orders/create", body, str(order_id), shop=shop) == "queued"
        request = {"shop_id": 1, "shop_domain": shop, "customer": {"id": CAMILLE}, "orders_requested": [5001]}
        body = json.dumps({**request, "data_request": {"id": 42}}).encode()
        assert stack.deliver("customers/data_request", body, "earlier", shop=shop) == "queued"
    noe = {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": 7002},
        "orders_requested": [],
        "data_request": {"id": 43},
    }
    deliver(stack, "customers/data_request", noe, "noe")
    stack.work()
    before = every_row(stack)

    redact_camille(stack, orders_to_redact=[5001])

    after = every_row(stack)
    for table in ("orders", "line_items", "events", "data_exports"):
        elsewhere = [row for row in after[table] if row["shop"] == other_shop]
        assert elsewhere == [row for row in before[table] if row["shop"] == other_shop], table
    assert sorted((row["shop"], row["customer_id"]) for row in after["data_exports"]) == [
        (SHOP, 7002),
        (other_shop, CAMILLE),
    ]
    assert [(row["shop"], row["order_id"]) for row in after["redacted_orders"]] == [(SHOP, 5001)]


def test_actions_aimed_at_her_orders_lose_her_data_and_those_not_yet_sent_are_cancelled(stack):
    """A note to Shopify quoting her, waiting; one that failed with a text quoting her; and beside them an action on
    the same order number in another shop and one on someone else's order, which keep theirs."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    deliver(stack, "orders/create", someone_else(), "6001")
    stack.work()
    quoting = {"note": NOTE, "customer": {"id": CAMILLE, "email": EMAIL}, "tags": ["gift"]}
    her_order = "gid://shopify/Order/5001"
    planned = [
        PlannedAction(SHOP, "set_order_note", her_order, quoting, "waiting"),
        PlannedAction(SHOP, "add_tags", her_order, quoting, "failed"),
        PlannedAction("starlow.myshopify.com", "set_order_note", her_order, quoting, "other shop"),
        PlannedAction(SHOP, "set_order_note", "gid://shopify/Order/6001", {"note": "Noé's note"}, "someone else"),
    ]
    with stack.services.engine.begin() as connection:
        add_actions(connection, planned, datetime.now(UTC))
        connection.execute(
            update(tables.outbox)
            .where(tables.outbox.c.key == "failed")
            .values(status="failed", last_error=f"ShopifyError: 422 {EMAIL} is not a valid tag")
        )
    before = {row["key"]: row for row in stack.rows(tables.outbox)}

    redact_camille(stack, orders_to_redact=[5001])

    after = {row["key"]: row for row in stack.rows(tables.outbox)}
    scrubbed = {"tags": ["gift"]}
    assert after["waiting"] == {**before["waiting"], "params": scrubbed, "status": "cancelled"}
    assert after["failed"] == {**before["failed"], "params": scrubbed, "last_error": "ShopifyError: [redacted]"}
    assert (after["other shop"], after["someone else"]) == (before["other shop"], before["someone else"])
    (audit,) = stack.rows(privacy_tables.audit_log)
    # Her order, its logged event and split plan, the two actions and her export; no job in Redis, as the jobs that
    # held her data had finished and a finished job is not kept.
    counts = {"orders": 1, "events": 1, "split_plans": 1, "outbox": 2, "data_exports": 1, "jobs": 0}
    assert (audit["topic"], audit["counts"]) == ("customers/redact", counts)


# Everything else the worker holds: events of orders never stored, failures' text, jobs in Redis, tombstones -------


def delivered_at_her_door(event_id: int, order_id: int) -> dict[str, Any]:
    """A carrier's delivery scan, made at her address."""
    scan = json.loads((FIXTURES / "fulfillment_events/create/china_in_transit.json").read_bytes())
    scan.update(id=event_id, order_id=order_id, status="delivered", address1=STREET, city=CITY, zip=ZIP,
                country="FR", latitude=LATITUDE, longitude=LONGITUDE)  # fmt: skip
    return scan


def test_events_of_orders_never_stored_and_the_text_of_failures_are_redacted(stack):
    """Her delivery scans for an order Shopify lists but we never stored, a shipment of an order neither stored nor
    listed that quotes her e-mail, and a failure whose text quotes her address."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    deliver(stack, "fulfillment_events/create", delivered_at_her_door(990001, 5004), "scan-5004")
    deliver(stack, "fulfillments/create", shipped_to_camille(7501, 5005), "7501")
    stack.work()
    records = stack.services.records
    (scan,) = records.list_events(topic="fulfillment_events/create")
    logged = Event(scan.shop, scan.topic, scan.event_id, scan.payload or {}, scan.received_at, scan.source)
    records.log_event(logged, "failed", f"ValueError: no route to '{STREET}, {ZIP} {CITY}'")
    assert personal_in(json.dumps(every_row(stack), default=str))

    redact_camille(stack, orders_to_redact=[5001, 5004])

    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))
    assert records.get_event(scan.id).last_error == "ValueError: [redacted]"
    assert records.get_event(scan.id).payload["country"] == "FR"
    assert {(row["order_id"], row["customer_id"]) for row in stack.rows(privacy_tables.redacted_orders)} == {
        (5001, CAMILLE),
        (5004, CAMILLE),
        (5005, CAMILLE),
    }
    assert [(row["shop"], row["customer_id"]) for row in stack.rows(privacy_tables.redacted_customers)] == [
        (SHOP, CAMILLE)
    ]
    (audit,) = stack.rows(privacy_tables.audit_log)
    assert (audit["shop"], audit["topic"], audit["event_id"]) == (SHOP, "customers/redact", "redact")
    assert audit["counts"]["orders"] == 1 and audit["counts"]["events"] == 3 and audit["counts"]["fulfillments"] == 2
    assert personal_in(json.dumps(audit, default=str)) == []


def test_a_logged_event_naming_no_order_but_quoting_her_phone_is_redacted(stack):
    """A fulfillment order's routing, its destination hers: no order id to find it by, only what it quotes."""
    routed = {
        "fulfillment_order": {
            "id": "gid://shopify/FulfillmentOrder/1046000",
            "status": "open",
            "destination": {"phone": PHONE, "address1": STREET, "city": CITY, "zip": ZIP, "country_code": "FR"},
        }
    }
    event = Event(SHOP, "fulfillment_orders/order_routing_complete", "routed", routed, datetime.now(UTC))
    stack.services.records.log_event(event, "failed", "ShopifyError: 503")
    assert leaks(every_row(stack))

    redact_camille(stack, orders_to_redact=[])

    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))


def test_jobs_in_redis_in_every_state_lose_her_data(stack):
    """Finished, scheduled, waiting to retry after a failure whose text quotes her order, failed, and queued."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()  # finished
    update = {**personal_order(5001, camille(), EMAIL), "updated_at": "2026-03-05T09:00:00Z"}
    envelope = {"shop": SHOP, "topic": "orders/updated", "event_id": "later", "received_at": "2026-03-02T09:00:00Z",
                "payload": update}  # fmt: skip
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert stack.services.jobs.enqueue(ORDER_JOB, envelope, "orders/updated later", at=tomorrow, job_id="later")
    with stack.services.engine.begin() as connection:
        connection.execute(text("ALTER TABLE orders RENAME TO orders_away"))
    deliver(stack, "orders/create", personal_order(5003, None, GUEST_EMAIL), "5003")
    stack.work()  # its statement fails: waiting to retry, the failure's text in Redis
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)
    failed = queue.enqueue(
        ORDER_JOB, {**envelope, "event_id": "failed", "payload": personal_order(5006, camille(), EMAIL)}
    )
    stack.work()
    with stack.services.engine.begin() as connection:
        connection.execute(text("ALTER TABLE orders_away RENAME TO orders"))
    assert stack.failed_jobs() == [failed.id]
    assert personal_in(redis_text(stack.redis)) == PERSONAL

    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/redact", {**request, "orders_to_redact": [5003]}, "redact")
    queued = {**personal_order(5001, camille(), EMAIL), "updated_at": "2026-03-04T09:00:00Z"}
    deliver(stack, "orders/updated", queued, "queued")  # in the queue behind the request

    SimpleWorker([queue], connection=stack.redis, serializer=JobSerializer).work(burst=True, max_jobs=1)

    assert (queue.count, stack.failed_jobs()) == (1, [failed.id])
    assert personal_in(redis_text(stack.redis)) == []
    stack.work()
    queue.enqueue_job(queue.fetch_job("later"))  # its time has come: it runs, without her data
    stack.work()
    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))
    assert stack.services.records.get_order(SHOP, 5001)["updated_at"] == "2026-03-05T09:00:00Z"


def test_a_job_about_her_that_another_worker_runs_is_rewritten_by_that_worker_once_it_ends(stack):
    """RQ saves a job again when it ends, with the data it started with: rewritten under its worker, the job would
    take her data back. The redaction leaves it to its worker, which rewrites it once the job has ended."""
    update = {**personal_order(5001, camille(), EMAIL), "updated_at": "2026-03-05T09:00:00Z"}
    envelope = {"shop": SHOP, "topic": "orders/updated", "event_id": "running", "payload": update}
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)
    running = queue.enqueue(ORDER_JOB, envelope)
    queue.remove(running)
    stack.redis.hset(running.key, "status", "started")  # taken by a worker of another process
    started_with = stack.redis.hget(running.key, "data")

    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/redact", {**request, "orders_to_redact": [5001]}, "redact")
    stack.work()
    assert stack.redis.hget(running.key, "data") == started_with

    stack.redis.hset(running.key, "status", "finished")  # its worker ends it
    HeartbeatWorker([queue], connection=stack.redis, serializer=JobSerializer).held_jobs.finish(running.id)

    assert personal_in(redis_text(stack.redis)) == []
    (kept,) = queue.fetch_job(running.id).args
    assert Event.from_envelope(kept).payload["total_price"] == "172.20"


def test_a_job_about_her_that_ended_and_went_before_its_worker_read_the_mark_leaves_no_key_behind(stack):
    """A job that succeeds is deleted as it ends (no finished job is kept): its mark is then read for a job that is
    gone, and nothing is written where it was."""
    envelope = {
        "shop": SHOP,
        "topic": "orders/updated",
        "event_id": "running",
        "payload": personal_order(5001, camille(), EMAIL),
    }
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)
    running = queue.enqueue(ORDER_JOB, envelope)
    queue.remove(running)
    stack.redis.hset(running.key, "status", "started")
    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/redact", {**request, "orders_to_redact": [5001]}, "redact")
    stack.work()

    running.delete()  # its worker ends it
    HeartbeatWorker([queue], connection=stack.redis, serializer=JobSerializer).held_jobs.finish(running.id)

    assert not stack.redis.exists(running.key)


def test_jobs_queued_behind_her_redaction_lose_her_data_and_keep_what_they_need_to_run(stack, caplog):
    """A delivery scan of her order (naming her only by the order and her door), and a data request of hers that
    must still be answered as hers when it runs: refused, as she is forgotten."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()
    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/redact", {**request, "orders_to_redact": [5001]}, "redact")
    deliver(stack, "fulfillment_events/create", delivered_at_her_door(990003, 5001), "scan-queued")
    asked = {**request, "orders_requested": [5001], "data_request": {"id": 44}}
    deliver(stack, "customers/data_request", asked, "asked-queued")
    queue = Queue("shopworker", connection=stack.redis, serializer=JobSerializer)

    SimpleWorker([queue], connection=stack.redis, serializer=JobSerializer).work(burst=True, max_jobs=1)

    assert queue.count == 2
    assert personal_in(redis_text(stack.redis)) == []
    caplog.set_level(logging.WARNING, logger="worker.services.privacy")
    stack.work()
    assert [r.getMessage() for r in caplog.records if r.name == "worker.services.privacy"] == [
        f"data request 44 of {SHOP} not exported: the customer was redacted since"
    ]


def test_after_a_redaction_a_retry_or_a_replay_does_not_write_her_data_back(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()
    redact_camille(stack, orders_to_redact=[5001])
    logged = stack.services.records.list_events(topic="orders/create")

    # Shopify retries an update from before the request; the operator replays the order's first event.
    deliver(stack, "orders/updated", {**personal_order(5001, camille(), EMAIL), "updated_at": "2026-03-09T09:00:00Z"},
            "retried")  # fmt: skip
    events_service.replay(stack.services, logged[0])
    deliver(stack, "fulfillment_events/create", delivered_at_her_door(990002, 5001), "scan-after")
    stack.work()

    assert stack.failed_jobs() == []
    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))
    order = stack.services.records.get_order(SHOP, 5001)
    assert (order["updated_at"], order["total_price"], order["shipping_address"]["country_code"]) == (
        "2026-03-09T09:00:00Z",
        "172.20",
        "FR",
    )
    assert personal_in(redis_text(stack.redis)) == []


def test_an_order_under_her_customer_id_first_arriving_after_the_redaction_is_held_without_her_data(stack):
    """Neither Shopify's request nor our records named the order: a delivery retried late. Her customer id does."""
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()
    redact_camille(stack, orders_to_redact=[5001])

    deliver(stack, "orders/create", personal_order(5009, camille(), EMAIL), "5009-retried")
    stack.work()

    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))
    (order,) = [row for row in stack.rows(tables.orders) if row["id"] == 5009]
    assert (order["total_price"], order["payload"]["shipping_address"]) == (
        "172.20",
        {"country": "France", "country_code": "FR", "province_code": None},
    )


def test_a_job_about_her_that_can_never_succeed_is_recorded_failed_without_her_data(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    stack.work()
    redact_camille(stack, orders_to_redact=[5001])
    unstorable = {**personal_order(5001, camille(), EMAIL), "note": f"{NOTE}\x00"}  # queued before the receiver refused
    envelope = {"shop": SHOP, "topic": "orders/updated", "event_id": "nul", "payload": unstorable}
    stack.services.jobs.enqueue(ORDER_JOB, envelope, "orders/updated nul")
    stack.work()

    (failed,) = stack.services.records.list_events(status="failed")
    assert "not retried" in failed.last_error
    assert leaks(every_row(stack)) == [], "\n".join(leaks(every_row(stack)))


def test_a_redacted_shop_leaves_nothing_in_redis_and_keeps_its_tombstone_and_the_audit(stack):
    deliver(stack, "orders/create", personal_order(5001, camille(), EMAIL), "5001")
    deliver(stack, "fulfillments/create", shipped_to_camille(7102, 5001), "7102")
    deliver(stack, "app/uninstalled", {"id": 1, "name": "Little Twinkle Stars", "domain": SHOP}, "bye")
    stack.work()
    deliver(stack, "orders/updated", personal_order(5001, camille(), EMAIL), "queued")  # waits in the queue
    assert SHOP in redis_text(stack.redis)

    deliver(stack, "shop/redact", {"shop_id": 1, "shop_domain": SHOP}, "gone")
    stack.work()
    deliver(stack, "orders/updated", personal_order(5001, camille(), EMAIL), "late-retry")  # sent before it
    stack.work()

    assert SHOP not in redis_text(stack.redis)
    held = {name: rows for name, rows in every_row(stack).items() if rows}
    assert sorted(held) == ["audit_log", "redacted_shops"]
    assert [row["shop"] for row in held["redacted_shops"]] == [SHOP]
    uninstalled, redacted = sorted(held["audit_log"], key=lambda row: row["id"])
    assert (uninstalled["topic"], uninstalled["counts"]) == (
        "app/uninstalled",
        {"actions_cancelled": 0, "checks_unscheduled": 0, "credentials": 0},
    )
    assert redacted["topic"] == "shop/redact"
    assert {name: redacted["counts"][name] for name in ("orders", "line_items", "fulfillments", "jobs")} == {
        "orders": 1,
        "line_items": 4,
        "fulfillments": 1,
        "jobs": 0,  # every earlier job had finished, and a finished job is not kept
    }
    # Five deliveries, the redaction's own among them, each logged and marked as taken.
    assert (redacted["counts"]["events"], redacted["counts"]["redis_keys"]) == (5, 5)


def test_a_shop_installed_again_after_its_redaction_is_served(stack):
    deliver(stack, "shop/redact", {"shop_id": 1, "shop_domain": SHOP}, "gone")
    stack.work()
    body = json.dumps(personal_order(5001, None, "new@example.com")).encode()
    headers = {**headers_for(body, "orders/create", TEST_SECRET, SHOP, "new"), "X-Shopify-Triggered-At": later()}
    assert stack.client.post("/webhooks", data=body, headers=headers).status_code == 200
    stack.work()

    assert stack.services.records.get_order(SHOP, 5001)["email"] == "new@example.com"


def later() -> str:
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")

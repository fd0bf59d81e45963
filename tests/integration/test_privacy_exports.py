"""customers/data_request: an export of everything held about the customer, a log line that says where it is and by
when to give it, and the ways out: `shopworker privacy exports|export` and the operator pages."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from tests.integration.test_operator import close, log_in
from tests.operator_seed import ORDER, PASSWORD, RETURN_ID, seed
from tests.support import SAMPLES, SHOP, TEST_SECRET, Stack, headers_for
from worker.adapters import tables
from worker.adapters.outbox import add_actions
from worker.cli import register
from worker.domain.actions import PlannedAction
from worker.web import create_app

CUSTOMER = ORDER["customer"]["id"]
SHIPMENT = {"id": 7101, "order_id": ORDER["id"], "status": "success", "created_at": "2026-03-03T10:00:00Z",
            "updated_at": "2026-03-03T10:00:00Z", "tracking_company": "La Poste", "line_items": []}  # fmt: skip
HOSTILE_NOTE = "<script>alert('note')</script>"
TRIGGERED = "2026-03-25T08:00:00Z"


def refund() -> dict:
    sample = json.loads((SAMPLES / "refunds__create.json").read_text())
    line = {**sample["refund_line_items"][0], "line_item_id": ORDER["line_items"][0]["id"]}
    return {**sample, "order_id": ORDER["id"], "refund_line_items": [line]}


def data_request(request_id: int = 42, orders_requested: tuple[int, ...] = (ORDER["id"],)) -> dict:
    return {
        "shop_id": 1,
        "shop_domain": SHOP,
        "customer": {"id": CUSTOMER, "email": "camille@example.fr", "phone": "+33 6 12 34 56 78"},
        "orders_requested": list(orders_requested),
        "data_request": {"id": request_id},
    }


def deliver(stack: Stack, topic: str, payload: dict, event_id: str) -> None:
    assert stack.deliver(topic, json.dumps(payload).encode(), event_id) == "queued"


def held_about_camille(stack: Stack) -> None:
    """Her order with a return, a late flag and case and a split plan, a shipment, a refund, a note to Shopify,
    and someone else's order beside it."""
    seed(stack.services)
    deliver(stack, "fulfillments/create", SHIPMENT, "shipment")
    deliver(stack, "refunds/create", refund(), "refund")
    other = {**ORDER, "id": 6001, "name": "#6001", "customer": {"id": 7002}, "line_items": []}
    deliver(stack, "orders/create", other, "other")
    stack.work()
    note = PlannedAction(SHOP, "set_order_note", f"gid://shopify/Order/{ORDER['id']}", {"note": HOSTILE_NOTE}, "n")
    with stack.services.engine.begin() as connection:
        add_actions(connection, [note], datetime.now(UTC))


def asked_for(stack: Stack, request_id: int = 42, orders_requested: tuple[int, ...] = (ORDER["id"],)) -> dict:
    """The request as Shopify sends it (triggered at TRIGGERED), worked; the export's content."""
    body = json.dumps(data_request(request_id, orders_requested)).encode()
    headers = {"X-Shopify-Triggered-At": TRIGGERED}
    signed = headers_for(body, "customers/data_request", TEST_SECRET, SHOP, f"request-{request_id}")
    response = stack.client.post("/webhooks", data=body, headers={**signed, **headers})
    assert response.status_code == 200, response.json
    stack.work()
    assert stack.failed_jobs() == []
    (export,) = [e for e in stack.services.records.list_exports() if e.data_request_id == request_id]
    return stack.services.records.get_export(export.id).content


def test_the_export_holds_every_record_about_the_customers_orders_and_nothing_of_anyone_else(stack):
    held_about_camille(stack)

    content = asked_for(stack)

    assert (content["shop"], content["customer_id"], content["data_request_id"]) == (SHOP, CUSTOMER, 42)
    assert content["requested_at"] == "2026-03-25T08:00:00+00:00"
    assert [order["id"] for order in content["orders"]] == [ORDER["id"]]
    assert content["orders"][0]["payload"]["customer"]["id"] == CUSTOMER  # the order as stored, personal data and all
    assert [f["id"] for f in content["fulfillments"]] == [SHIPMENT["id"]]
    assert [r["return_id"] for r in content["returns"]] == [RETURN_ID]
    assert [r["id"] for r in content["refunds"]] == [refund()["id"]]
    assert [f["fulfillment_id"] for f in content["late_flags"]] == [7102]
    assert [c["fulfillment_id"] for c in content["late_cases"]] == [7101]
    assert [p["order_id"] for p in content["split_plans"]] == [ORDER["id"]]
    logged = {(e["topic"], e["event_id"]) for e in content["events"]}
    assert {("orders/create", "evt-seeded"), ("fulfillments/create", "shipment"), ("refunds/create", "refund")} <= (
        logged
    )
    assert all(e["payload"] for e in content["events"])
    assert [(a["action"], a["params"]) for a in content["outbox"]] == [("set_order_note", {"note": HOSTILE_NOTE})]
    assert [r["topic"] for r in content["privacy_requests"]] == ["customers/data_request"]
    other_order = re.compile(r"(?<![\d.])6001(?!\d)")  # the number, not digits inside a time or another number
    assert not other_order.search(json.dumps([content[name] for name in ("orders", "events", "line_items")]))


def as_exported(rows: list[dict]) -> list[dict]:
    """Rows as the export holds them: JSON, times in ISO-8601."""
    return json.loads(json.dumps(rows, default=lambda value: value.isoformat()))


def test_the_export_holds_each_row_about_her_orders_column_by_column_in_the_order_of_their_keys(stack):
    """Her orders: the one she asks about, one held under her id that she does not list (its id below the first,
    delivered after it), and one she lists that is held only through its shipment. Beside them, the actions aimed
    at her orders and at her return, and those aimed at someone else's order."""
    held_about_camille(stack)
    unlisted = {**ORDER, "id": 4001, "name": "#4001", "line_items": []}
    deliver(stack, "orders/create", unlisted, "unlisted")
    deliver(stack, "fulfillments/create", {**SHIPMENT, "id": 7201, "order_id": 5009}, "shipped-only")
    stack.work()
    aimed = [
        PlannedAction(SHOP, "approve_return", f"gid://shopify/Return/{RETURN_ID}", {"notify": True}, "r"),
        PlannedAction(SHOP, "set_order_note", "gid://shopify/Order/6001", {"note": "not hers"}, "o"),
    ]
    with stack.services.engine.begin() as connection:
        add_actions(connection, aimed, datetime.now(UTC))

    content = asked_for(stack, orders_requested=(ORDER["id"], 5009))

    hers = {4001, ORDER["id"], 5009}
    assert content["orders_requested"] == [ORDER["id"], 5009]
    for table in tables.metadata.sorted_tables:
        order_column = "id" if table is tables.orders else "order_id"
        if table.name in content and order_column in table.c:
            keys = [column.name for column in table.primary_key.columns]
            held = [row for row in stack.rows(table) if row[order_column] in hers]
            expected = as_exported(sorted(held, key=lambda row: [row[key] for key in keys]))
            assert content[table.name] == expected, table.name
    assert [order["id"] for order in content["orders"]] == [4001, ORDER["id"]]
    assert [shipment["id"] for shipment in content["fulfillments"]] == [SHIPMENT["id"], 7201]
    outbox = sorted(stack.rows(tables.outbox), key=lambda row: row["id"])
    assert content["outbox"] == as_exported([row for row in outbox if row["target"] != "gid://shopify/Order/6001"])
    assert [action["action"] for action in content["outbox"]] == ["set_order_note", "approve_return"]
    requests = [row for row in stack.rows(tables.events) if row["topic"] == "customers/data_request"]
    assert content["privacy_requests"] == as_exported(requests)
    assert content["privacy_requests"][0]["payload"]["customer"]["phone"] == "+33 6 12 34 56 78"
    (export,) = stack.services.records.list_exports()
    assert (export.shop, export.customer_id, export.data_request_id, export.order_count) == (SHOP, CUSTOMER, 42, 2)


def test_the_data_request_logs_where_the_export_is_and_by_when_without_naming_the_customer(stack, caplog):
    held_about_camille(stack)
    caplog.set_level(logging.INFO, logger="worker.services.privacy")

    asked_for(stack)

    (export,) = stack.services.records.list_exports()
    (record,) = [r for r in caplog.records if r.name == "worker.services.privacy"]
    line = record.getMessage()
    assert (record.shop, record.export, record.due) == (SHOP, export.id, "2026-04-24")  # fields of a JSON log line
    assert line == (  # due 30 days after the request
        f"customer data export {export.id} of {SHOP} is ready: give it to the customer by 2026-04-24 "
        f"(`shopworker privacy export {export.id}`)"
    )
    assert str(CUSTOMER) not in line and "camille" not in line.lower()


def test_a_replayed_request_writes_the_same_export_again_not_a_second_one(stack):
    held_about_camille(stack)
    first = asked_for(stack)
    (logged,) = stack.services.records.list_events(topic="customers/data_request")

    from worker.services.events import replay

    assert replay(stack.services, logged)
    stack.work()

    (export,) = stack.services.records.list_exports()
    assert stack.services.records.get_export(export.id).content["orders"] == first["orders"]
    assert export.requested_at == datetime(2026, 3, 25, 8, tzinfo=UTC)  # the replay carries no trigger time
    assert stack.services.records.get_export(export.id).content["requested_at"] == "2026-03-25T08:00:00+00:00"


def test_a_redaction_deletes_the_exports_and_a_replayed_request_writes_none_back(stack, caplog):
    held_about_camille(stack)
    asked_for(stack)
    (logged,) = stack.services.records.list_events(topic="customers/data_request")
    redact = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CUSTOMER}, "orders_to_redact": [ORDER["id"]]}
    deliver(stack, "customers/redact", redact, "redact")
    stack.work()
    assert stack.services.records.list_exports() == []

    from worker.services.events import replay

    caplog.clear()
    assert replay(stack.services, logged)
    stack.work()

    assert stack.services.records.list_exports() == []
    assert stack.rows(tables.data_exports) == []
    (line,) = [r.getMessage() for r in caplog.records if r.name == "worker.services.privacy"]
    assert line == f"data request 42 of {SHOP} not exported: the customer was redacted since"


# The command ---------------------------------------------------------------------------------------------------


@pytest.fixture
def read(settings):
    env = {"SHOPIFY_API_SECRET": None, "REDIS_URL": None, "DATABASE_URL": settings.database_url,
           "DATABASE_SCHEMA": settings.database_schema or ""}  # fmt: skip
    return lambda *args: CliRunner().invoke(register(), list(args), env=env)


def test_exports_are_listed_in_aligned_columns_and_as_json(stack, read):
    held_about_camille(stack)
    asked_for(stack, 42)
    asked_for(stack, 43)

    table = read("privacy", "exports")
    as_json = read("privacy", "exports", "--json")

    assert table.exit_code == 0 and as_json.exit_code == 0, table.output + as_json.output
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["id", "shop", "customer", "requested", "due", "orders"]
    assert len(rows) == 2 and len({len(row) for row in [header, *rows]}) == 1  # aligned: one width
    assert rows[0].split()[1:] == [SHOP, str(CUSTOMER), "2026-03-25", "08:00:00", "2026-04-24", "1"]
    listed = json.loads(as_json.stdout)
    assert [(e["shop"], e["customer_id"], e["order_count"], e["due"]) for e in listed] == [
        (SHOP, CUSTOMER, 1, "2026-04-24")
    ] * 2
    assert listed[0]["requested_at"] == "2026-03-25T08:00:00+00:00"


def test_one_export_is_printed_as_its_json(stack, read):
    held_about_camille(stack)
    content = asked_for(stack)
    (export,) = stack.services.records.list_exports()

    result = read("privacy", "export", str(export.id))

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == content


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ("999", "error: no export with id 999\n"),
        ("abc", "error: an export id is a number (as `shopworker privacy exports` lists them), got 'abc'\n"),
        ("9" * 30, "error: an export id is a number (as `shopworker privacy exports` lists them), got '" + "9" * 30),
    ],
    ids=["unknown", "not a number", "beyond any id"],
)
def test_an_export_id_that_names_none_is_one_line_and_a_failure(stack, read, given, error):
    result = read("privacy", "export", given)
    assert result.exit_code == 2
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1


# The operator pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def web(settings):
    app = create_app(replace(settings, operator_password=PASSWORD, operator_secret_key="operator-test-key"))
    client = app.test_client()
    log_in(client)
    yield client
    close(app)


def test_the_operator_pages_list_show_and_download_an_export_escaped(stack, web):
    held_about_camille(stack)
    content = asked_for(stack)
    (export,) = stack.services.records.list_exports()

    listing = web.get("/operator/privacy")
    shown = web.get(f"/operator/privacy/exports/{export.id}")
    download = web.get(f"/operator/privacy/exports/{export.id}/download")

    assert listing.status_code == shown.status_code == download.status_code == 200
    row = listing.get_data(as_text=True).split(f'id="export-{export.id}"')[1].split("</tr>")[0]
    assert SHOP in row and str(CUSTOMER) in row and "2026-04-24" in row
    page = shown.get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert shown.headers["Cache-Control"] == "no-store"
    assert download.headers["Content-Disposition"] == f'attachment; filename="customer-data-export-{export.id}.json"'
    assert download.mimetype == "application/json" and json.loads(download.get_data()) == content


def test_a_stranger_is_sent_to_the_login_from_an_export_and_its_download(stack, settings):
    held_about_camille(stack)
    asked_for(stack)
    (export,) = stack.services.records.list_exports()
    app = create_app(replace(settings, operator_password=PASSWORD, operator_secret_key="operator-test-key"))
    try:
        stranger = app.test_client()
        for path in (f"/operator/privacy/exports/{export.id}", f"/operator/privacy/exports/{export.id}/download"):
            answer = stranger.get(path)
            assert answer.status_code == 302 and answer.location.startswith("/operator/login?next=")
            assert "camille" not in answer.get_data(as_text=True).lower()
    finally:
        close(app)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/privacy/exports/999", 404),
        ("/privacy/exports/abc", 400),
        ("/privacy/exports/99999999999/download", 400),
        ("/privacy?shop=a%00b", 400),
    ],  # fmt: skip
    ids=["unknown", "not a number", "beyond the column", "a NUL in shop"],
)
def test_an_export_address_that_names_none_is_404_and_a_malformed_one_400(stack, web, path, status):
    assert web.get("/operator" + path).status_code == status


def test_the_exports_page_lists_fifty_at_a_time_newest_first_and_filters_by_shop_and_day(stack, web):
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for n in range(53):
        shop = SHOP if n % 10 else "other-shop.myshopify.com"
        stack.services.records.export_customer(shop, 9000 + n, [], n, start + timedelta(hours=n))

    def listed(query: str) -> tuple[list[int], str]:
        html = web.get("/operator/privacy?" + query).get_data(as_text=True)
        customers = re.findall(r'<tr id="export-\d+">\s*<td>\d+</td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>', html)
        return [int(customer) for customer in customers], html

    first, html = listed("")
    assert first == [9000 + n for n in range(52, 2, -1)]
    assert 'rel="next"' in html and 'rel="prev"' not in html
    second, html = listed("page=2")
    assert second == [9002, 9001, 9000] and 'rel="prev"' in html and 'rel="next"' not in html
    ours, html = listed(f"shop={SHOP}")
    assert len(ours) == 47 and 'rel="next"' not in html and 9050 not in ours
    second_day, _ = listed("from=2026-03-02&to=2026-03-02")  # requested from 12:00 on 1 March, one an hour
    assert second_day == [9000 + n for n in range(35, 11, -1)]

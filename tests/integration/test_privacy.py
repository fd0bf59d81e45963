"""customers/redact against records full of one customer's personal data, checked in every row of every table."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.support import FIXTURES, SHOP, Stack
from worker.adapters import tables

BASE_ORDER = json.loads((FIXTURES / "orders/create/two_warehouses_to_france.json").read_bytes())
BASE_FULFILLMENT = json.loads((FIXTURES / "fulfillments/create/china_warehouse.json").read_bytes())
CAMILLE = 7001

# Everything below identifies Camille; none of it may be left anywhere once she asks to be forgotten.
NAME, SURNAME = "Camille", "Durand"
EMAIL, GUEST_EMAIL = "camille@example.fr", "c.durand.guest@example.fr"
PHONE, WORK_PHONE = "+33 6 12 34 56 78", "+33 4 72 00 11 22"
STREET, BILLING_STREET, ZIP, CITY = "12 rue des Lilas", "3 impasse Berthelot", "69003", "Lyon"
BROWSER_IP, USER_AGENT = "203.0.113.42", "Mozilla/5.0 (Camille-Pixel-7)"
NOTE = "Leave with the concierge, Mme Durand works nights"
GIFT_MESSAGE = "Joyeux anniversaire Camille"
ENGRAVING = "C.D. 14-07-1991"
PERSONAL = [NAME, SURNAME, EMAIL, GUEST_EMAIL, PHONE, WORK_PHONE, STREET, BILLING_STREET, ZIP, CITY, BROWSER_IP,
            USER_AGENT, NOTE, GIFT_MESSAGE, ENGRAVING]  # fmt: skip


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


def leaks(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    found = []
    for table, table_rows in rows.items():
        for row in table_rows:
            text = json.dumps(row, default=str, ensure_ascii=False)
            found += [f"{table} {row.get('topic', '')}: {value!r}" for value in PERSONAL if value in text]
    return found


def redact_camille(stack: Stack, orders_to_redact: list[int]) -> None:
    """The customers/redact request as Shopify sends it, followed by a data request of hers from earlier."""
    request = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CAMILLE, "email": EMAIL, "phone": PHONE}}
    deliver(stack, "customers/data_request", {**request, "orders_requested": [5001], "data_request": {"id": 42}}, "dr")
    stack.work()
    assert leaks(every_row(stack)), "the data request's export holds her data until she is forgotten"
    deliver(stack, "customers/redact", {**request, "orders_to_redact": orders_to_redact}, "redact")
    stack.work()
    assert stack.failed_jobs() == []


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

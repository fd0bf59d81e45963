"""A signed return or refund webhook in, a return or refund record out, judged by the shop's own policy, with the
fake Admin API on loopback standing in for Shopify."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from config import policies
from config.settings import Settings
from tests.fakeshopify import FakeShop, RunningFakeShop, serve_fake_shop
from tests.support import Stack, shopify_samples
from worker.adapters.shopify import legacy_id
from worker.adapters.tables.returns import product_facts, refunds, returns

FIXTURES = Path(__file__).parents[1] / "fixtures" / "returns_worker"
ORDER = json.loads((FIXTURES / "order.json").read_text())
DRESS, SWIMSUIT, TEE = 31001, 31002, 31003  # line items of order 6001, delivered 2026-03-02 15:00 UTC
IN_WINDOW = "2026-03-05T10:00:00Z"
DAY_40 = "2026-04-11T10:00:00Z"


def domain(store: str) -> str:
    return f"{store}.myshopify.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Every store's policy is configured for its own shop domain."""
    return replace(settings, shop_policies={domain(name): name for name in policies.store_names()})


@pytest.fixture
def shop() -> Iterator[RunningFakeShop]:
    state = FakeShop()
    state.add_order(ORDER, location_id=1)
    state.add_product(41001, "Dresses")
    state.add_product(41002, "Swimwear")
    state.add_product(41003, "Tops", ["Sale"])
    with serve_fake_shop(state) as running:
        yield running


def connect(stack: Stack, shop: RunningFakeShop, store: str) -> None:
    stack.connect(shop)


def request_webhook(return_gid: str, order_id: int = 6001) -> bytes:
    payload = json.loads((FIXTURES / "return_request.json").read_text())
    payload.update(id=legacy_id(return_gid), admin_graphql_api_id=return_gid)
    payload["order"] = {"id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}"}
    return json.dumps(payload).encode()


def ask(stack: Stack, shop: RunningFakeShop, store: str, lines: list[tuple], at: str = IN_WINDOW) -> int:
    """The customer asks to return `lines` in Shopify; its returns/request webhook reaches the worker."""
    connect(stack, shop, store)
    return_gid = shop.state.add_return(6001, lines, created_at=at)
    stack.deliver("returns/request", request_webhook(return_gid), f"request:{return_gid}", shop=domain(store))
    stack.work()
    assert stack.failed_jobs() == []
    return legacy_id(return_gid)


def record(stack: Stack, store: str, return_id: int):  # noqa: ANN201
    return stack.services.returns.get(domain(store), return_id)


@pytest.mark.parametrize(
    ("store", "line", "at", "decision", "reasons"),
    [
        pytest.param(
            "charms-fr", (DRESS, 1, "defective"), IN_WINDOW, "review", ["defect_exception"],
            id="charms-fr: 'un article incorrect ou endommage, contactez-nous immediatement' - a person decides",
        ),
        pytest.param(
            "starlow", (SWIMSUIT, 1, "size_too_small"), IN_WINDOW, "declined", ["excluded_category"],
            id="starlow: 'All swimwear and accessories cannot be returned'",
        ),
        pytest.param(
            "starlow", (DRESS, 1, "unwanted"), DAY_40, "declined", ["outside_window"],
            id="starlow: 'We accept returns within 14 days of the delivery date'",
        ),
        pytest.param(
            "little-twinkle-stars", (TEE, 1, "size_too_large"), IN_WINDOW, "declined", ["final_sale"],
            id="little-twinkle-stars: 'All items on sale are final and cannot be returned'",
        ),
        pytest.param(
            "little-twinkle-stars", (DRESS, 1, "style"), IN_WINDOW, "review", ["needs_inspection"],
            id="little-twinkle-stars: 'make sure the items are unused and still have the tags on' needs a look",
        ),
        pytest.param(
            "layered-jewelry", (DRESS, 1, "wrong_item"), IN_WINDOW, "approved", ["defect_exception"],
            id="layered-jewelry: 'unless the return is due to ... wrong item shipped'",
        ),
        pytest.param(
            "starlightes", (DRESS, 1, "defective"), IN_WINDOW, "review",
            ["defect_reported_late", "photos_required", "defect_exception"],
            id="starlightes: 'contact us within 48 hours of delivery with photos'",
        ),
    ],
)  # fmt: skip
def test_a_return_request_is_recorded_with_the_decision_of_the_shops_own_policy(
    stack, shop, store, line, at, decision, reasons
):
    return_id = ask(stack, shop, store, [line], at=at)
    found = record(stack, store, return_id)
    assert (found.decision, found.status, found.shopify_status) == (decision, "awaiting_review", "requested")
    assert found.evaluation["lines"][0]["reasons"] == reasons
    assert (found.policy_name, found.policy_version) == (store, policies.load_policy(store).version)
    assert found.request["lines"] == [
        {
            "line_item_id": line[0],
            "quantity": 1,
            "reason": line[2],
            "customer_note": None,
            "preferred_resolution": "refund",
        }
    ]
    assert stack.services.outbox.list() == []
    assert shop.state.returns[return_id].status == "REQUESTED"


def test_with_auto_approve_on_an_approved_return_is_approved_in_shopify(stack, shop, automated):
    automated("layered-jewelry", approve=True)
    return_id = ask(stack, shop, "layered-jewelry", [(DRESS, 1, "defective", "The clasp broke on day two")])
    found = record(stack, "layered-jewelry", return_id)
    assert (found.decision, found.status) == ("approved", "auto_approved")
    assert found.request["lines"][0]["customer_note"] == "The clasp broke on day two"
    (action,) = stack.services.outbox.list()
    assert (action.action, action.status, action.id) == ("approve_return", "sent", found.action_id)
    assert shop.state.returns[return_id].status == "OPEN"


def test_with_auto_approve_off_nothing_is_sent_and_the_return_awaits_a_person(stack, shop):
    return_id = ask(stack, shop, "charms-fr", [(DRESS, 1, "defective")])
    assert record(stack, "charms-fr", return_id).status == "awaiting_review"
    assert stack.services.outbox.list() == []
    assert shop.state.mutations_named("ApproveReturn") == []


@pytest.mark.parametrize(
    ("line", "at", "reason"),
    [
        pytest.param((DRESS, 1, "unwanted"), DAY_40, "RETURN_PERIOD_ENDED", id="outside the 14-day window"),
        pytest.param((SWIMSUIT, 1, "unwanted"), IN_WINDOW, "OTHER", id="swimwear cannot be returned"),
    ],
)
def test_with_auto_decline_on_a_declined_return_is_declined_in_shopify_with_the_reason(
    stack, shop, automated, line, at, reason
):
    automated("starlow", decline=True)
    return_id = ask(stack, shop, "starlow", [line], at=at)
    found = record(stack, "starlow", return_id)
    assert (found.decision, found.status) == ("declined", "auto_declined")
    declined = shop.state.returns[return_id]
    assert declined.status == "DECLINED"
    assert declined.decline == {"reason": reason, "note": found.evaluation["lines"][0]["explanation"]}


def test_a_line_held_only_for_inspection_is_approved_so_that_its_parcel_can_come_back(stack, shop, automated):
    automated("little-twinkle-stars", approve=True, decline=True)
    return_id = ask(stack, shop, "little-twinkle-stars", [(DRESS, 1, "style")])
    found = record(stack, "little-twinkle-stars", return_id)
    assert (found.decision, found.status) == ("review", "auto_approved")
    assert shop.state.returns[return_id].status == "OPEN"


def test_a_line_a_person_must_judge_is_never_acted_on_even_with_automation_on(stack, shop, automated):
    automated("starlightes", approve=True, decline=True)
    asked = [(DRESS, 1, "other", "The parcel sat at the depot for a week")]
    return_id = ask(stack, shop, "starlightes", asked, at="2026-03-29T18:00:00Z")
    assert record(stack, "starlightes", return_id).status == "awaiting_review"
    assert stack.services.outbox.list() == []


def test_the_same_return_request_twice_makes_one_record_and_one_action(stack, shop, automated):
    automated("layered-jewelry", approve=True)
    return_id = ask(stack, shop, "layered-jewelry", [(DRESS, 1, "defective")])
    first = record(stack, "layered-jewelry", return_id)
    body = request_webhook(f"gid://shopify/Return/{return_id}")
    stack.deliver("returns/request", body, "request:again", shop=domain("layered-jewelry"))
    stack.work()
    assert stack.failed_jobs() == []
    (again,) = [record(stack, "layered-jewelry", row["return_id"]) for row in stack.rows(returns)]
    assert (again.decision, again.action_id, again.created_at) == (first.decision, first.action_id, first.created_at)
    assert again.shopify_status == "open"
    assert len(stack.services.outbox.list()) == 1
    assert len(shop.state.mutations_named("ApproveReturn")) == 1


def test_product_facts_are_fetched_once_a_day_and_kept(stack, shop):
    ask(stack, shop, "starlow", [(DRESS, 1, "unwanted")])
    ask(stack, shop, "starlow", [(DRESS, 1, "color")])
    assert shop.state.received.count("FetchProductFacts") == 1
    (facts,) = stack.rows(product_facts)
    assert (facts["product_id"], facts["product_type"], facts["tags"]) == (41001, "Dresses", [])


def test_without_credentials_the_return_is_recorded_as_needing_details_and_no_job_fails(stack):
    gid = "gid://shopify/Return/555"
    stack.deliver("returns/request", request_webhook(gid), "request:555", shop=domain("starlow"))
    stack.work()
    assert stack.failed_jobs() == []
    found = record(stack, "starlow", 555)
    assert (found.status, found.decision, found.order_id) == ("needs_details", None, 6001)
    assert "Admin API" in found.reason
    assert stack.services.records.list_events()[0].status == "processed"


def test_a_shop_without_a_policy_is_recorded_as_such_and_not_failed(stack, shop):
    gid = shop.state.add_return(6001, [(DRESS, 1, "unwanted")])
    stack.deliver("returns/request", request_webhook(gid), "request", shop="unknown-store.myshopify.com")
    stack.work()
    assert stack.failed_jobs() == []
    found = stack.services.returns.get("unknown-store.myshopify.com", legacy_id(gid))
    assert (found.status, found.decision) == ("no_policy", None)


def test_the_order_and_its_delivery_come_from_our_records_when_we_hold_them(stack, shop):
    """Our fulfillment record says the dress arrived on 2026-03-30, so day 40 after Shopify's date is day 12."""
    delivered_late = {
        **ORDER["fulfillments"][0],
        "updated_at": "2026-03-30T12:00:00Z",
        "line_items": [{"id": DRESS, "quantity": 1}],
    }
    stack.deliver("orders/create", json.dumps(ORDER).encode(), "order", shop=domain("starlow"))
    stack.deliver("fulfillments/update", json.dumps(delivered_late).encode(), "late", shop=domain("starlow"))
    stack.work()
    with shop.state.lock:
        del shop.state.orders[6001]
    return_id = ask(stack, shop, "starlow", [(DRESS, 1, "unwanted")], at="2026-04-11T10:00:00Z")
    found = record(stack, "starlow", return_id)
    assert found.evaluation["window"] == {"anchor": "delivery", "starts": "2026-03-30", "ends": "2026-04-13"}
    assert found.evaluation["lines"][0]["reasons"] == ["needs_inspection"]
    assert "FetchOrder" not in shop.state.received


def test_a_return_naming_a_line_the_order_does_not_have_is_recorded_as_not_evaluable(stack, shop):
    order = copy.deepcopy(ORDER)
    order["line_items"] = order["line_items"][:1]
    shop.state.orders[6001] = order
    return_id = ask(stack, shop, "starlow", [(TEE, 1, "unwanted")])
    found = record(stack, "starlow", return_id)
    assert (found.status, found.decision) == ("cannot_evaluate", None)
    assert "31003 is not in the order" in found.reason


def test_shopify_declining_a_return_awaiting_review_updates_its_status_and_keeps_the_decision(stack, shop):
    return_id = ask(stack, shop, "starlow", [(DRESS, 1, "unwanted")], at=DAY_40)
    decline = {
        "id": return_id,
        "admin_graphql_api_id": f"gid://shopify/Return/{return_id}",
        "status": "declined",
        "order": {"id": 6001, "admin_graphql_api_id": "gid://shopify/Order/6001"},
        "decline": {"reason": "return_period_ended", "note": "Past the 14 days."},
    }
    stack.deliver("returns/decline", json.dumps(decline).encode(), "declined", shop=domain("starlow"))
    stack.work()
    found = record(stack, "starlow", return_id)
    assert (found.shopify_status, found.decision, found.status) == ("declined", "declined", "decided_in_shopify")


def test_shopify_statuses_arriving_out_of_order_never_move_back(stack):
    body = lambda status: json.dumps({"id": 777, "order_id": 6001, "status": status}).encode()  # noqa: E731
    stack.deliver("returns/close", body("closed"), "closed", shop=domain("starlow"))
    stack.deliver("returns/approve", body("open"), "approved", shop=domain("starlow"))
    stack.work()
    found = record(stack, "starlow", 777)
    assert (found.status, found.shopify_status, found.order_id) == ("not_evaluated", "closed", 6001)


def test_a_closed_return_reopened_in_shopify_is_open_again_and_a_reopen_never_undoes_a_later_status(stack):
    body = lambda status: json.dumps({"id": 778, "order_id": 6001, "status": status}).encode()  # noqa: E731
    stack.deliver("returns/approve", body("open"), "approved", shop=domain("starlow"))
    stack.deliver("returns/close", body("closed"), "closed", shop=domain("starlow"))
    stack.deliver("returns/reopen", body("open"), "reopened", shop=domain("starlow"))
    stack.work()
    assert record(stack, "starlow", 778).shopify_status == "open"

    # a reopen reaching a return that is not closed (its close still on the way) changes nothing
    declined = json.dumps({"id": 779, "status": "declined"}).encode()
    stack.deliver("returns/decline", declined, "d", shop=domain("starlow"))
    stack.deliver("returns/reopen", json.dumps({"id": 779, "status": "open"}).encode(), "r", shop=domain("starlow"))
    stack.work()
    assert record(stack, "starlow", 779).shopify_status == "declined"


def test_a_reopen_of_a_return_we_never_saw_leaves_a_record_saying_so(stack):
    stack.deliver("returns/reopen", json.dumps({"id": 780, "status": "open"}).encode(), "r", shop=domain("starlow"))
    stack.work()
    found = record(stack, "starlow", 780)
    assert (found.status, found.shopify_status) == ("not_evaluated", "open")
    assert found.reason == "Shopify reported the return as reopened before its request reached us."


def test_a_refund_is_recorded_with_exact_amounts_and_linked_to_the_open_return_of_its_lines(stack, shop):
    return_id = ask(stack, shop, "charms-fr", [(DRESS, 1, "defective")])
    stack.deliver("refunds/create", (FIXTURES / "refund.json").read_bytes(), "refund", shop=domain("charms-fr"))
    stack.deliver("refunds/create", (FIXTURES / "refund.json").read_bytes(), "refund-again", shop=domain("charms-fr"))
    stack.work()
    assert stack.failed_jobs() == []
    (refund,) = stack.rows(refunds)
    assert (refund["id"], refund["order_id"], refund["return_id"]) == (71001, 6001, return_id)
    assert refund["lines"] == [{"line_item_id": DRESS, "quantity": 1, "subtotal": "60.00", "total_tax": "4.80"}]
    assert (refund["shipping_refunded"], refund["total"], refund["currency"]) == ("5.00", "69.80", "USD")
    assert [(t["amount"], t["gateway"], t["status"]) for t in refund["transactions"]] == [
        ("59.90", "shopify_payments", "success"),
        ("9.90", "gift_card", "success"),
        ("69.80", "shopify_payments", "failure"),
    ]


def test_a_refund_names_its_return_when_shopify_links_one(stack):
    refund: dict[str, Any] = json.loads((FIXTURES / "refund.json").read_text())
    refund["return"] = {"id": 4242, "admin_graphql_api_id": "gid://shopify/Return/4242"}
    stack.deliver("refunds/create", json.dumps(refund).encode(), "refund", shop=domain("charms-fr"))
    stack.work()
    (row,) = stack.rows(refunds)
    assert row["return_id"] == 4242


def test_a_refund_of_lines_no_open_return_holds_stays_unlinked(stack, shop):
    ask(stack, shop, "charms-fr", [(TEE, 1, "defective")])
    stack.deliver("refunds/create", (FIXTURES / "refund.json").read_bytes(), "refund", shop=domain("charms-fr"))
    stack.work()
    (row,) = stack.rows(refunds)
    assert row["return_id"] is None


def test_every_shopify_sample_return_and_refund_is_processed_with_credentials_and_no_job_fails(stack, shop):
    connect(stack, shop, "starlow")
    for topic, body in shopify_samples():
        if topic.startswith(("returns/", "refunds/")):
            stack.deliver(topic, body, f"sample:{topic}", shop=domain("starlow"))
    stack.work()
    assert stack.failed_jobs() == []
    found = record(stack, "starlow", 123134564567890)
    assert (found.status, found.shopify_status) == ("needs_details", "closed")
    assert found.reason == "Shopify does not know return 123134564567890."


def test_a_request_read_after_shopify_already_approved_it_is_judged_but_not_acted_on(stack, shop, automated):
    automated("layered-jewelry", approve=True)
    connect(stack, shop, "layered-jewelry")
    return_gid = shop.state.add_return(6001, [(DRESS, 1, "defective")], created_at=IN_WINDOW, status="OPEN")
    stack.deliver("returns/request", request_webhook(return_gid), "request", shop=domain("layered-jewelry"))
    stack.work()
    found = record(stack, "layered-jewelry", legacy_id(return_gid))
    assert (found.decision, found.status, found.shopify_status) == ("approved", "decided_in_shopify", "open")
    assert stack.services.outbox.list() == []


def order_with(**changes: Any) -> dict[str, Any]:
    order = copy.deepcopy(ORDER)
    order.update(changes)
    return order


def with_dress(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    order["line_items"][0].update(changes)
    return order


@pytest.mark.parametrize(
    ("kind", "reasons"),
    [
        pytest.param("discount_code", ["discount_over_limit"], id="starlow: 'a discount code higher than 15%'"),
        pytest.param("automatic", ["needs_inspection"], id="starlow: an automatic discount is not a discount code"),
    ],
)
def test_the_order_discounts_reach_the_engine(stack, shop, kind, reasons):
    application = {"type": kind, "value_type": "percentage", "value": "20.0", "allocation_method": "across"}
    order = with_dress(
        order_with(
            discount_applications=[{**application, **({"code": "SPRING20"} if kind == "discount_code" else {})}]
        ),
        discount_allocations=[{"amount": "12.00", "discount_application_index": 0}],
    )
    shop.state.orders[6001] = order
    found = record(stack, "starlow", ask(stack, shop, "starlow", [(DRESS, 1, "unwanted")]))
    assert found.evaluation["lines"][0]["reasons"] == reasons


def test_a_gift_marked_in_the_order_note_attributes_comes_back_as_store_credit(stack, shop):
    shop.state.orders[6001] = order_with(note_attributes=[{"name": "ship_to_recipient", "value": "true"}])
    found = record(stack, "starlightes", ask(stack, shop, "starlightes", [(DRESS, 1, "unwanted")]))
    line = found.evaluation["lines"][0]
    assert (line["resolution"], "gift_store_credit" in line["reasons"]) == ("store_credit", True)


def test_a_unit_in_an_earlier_return_of_the_order_is_not_returned_again(stack, shop):
    first = record(stack, "starlow", ask(stack, shop, "starlow", [(DRESS, 1, "unwanted")]))
    again = record(stack, "starlow", ask(stack, shop, "starlow", [(DRESS, 1, "style")]))
    assert first.evaluation["lines"][0]["reasons"] == ["needs_inspection"]
    assert (again.decision, again.evaluation["lines"][0]["reasons"]) == ("declined", ["already_returned"])


def test_each_line_is_judged_from_its_own_parcel(stack, shop):
    # The dress was delivered; the tees travel in a second parcel that has only left (no delivery scan).
    fulfillments = copy.deepcopy(ORDER["fulfillments"])
    fulfillments[0]["line_items"] = [{"id": DRESS, "quantity": 1}, {"id": SWIMSUIT, "quantity": 1}]
    fulfillments.append(
        {**fulfillments[0], "id": 8002, "shipment_status": "in_transit", "updated_at": "2026-02-27T10:00:00Z",
         "line_items": [{"id": TEE, "quantity": 2}]}
    )  # fmt: skip
    shop.state.orders[6001] = order_with(fulfillments=fulfillments)
    found = record(
        stack, "layered-jewelry", ask(stack, shop, "layered-jewelry", [(DRESS, 1, "style"), (TEE, 1, "style")])
    )
    dress, tee = found.evaluation["lines"]
    assert (dress["window"]["anchor"], dress["window"]["starts"]) == ("delivery", "2026-03-02")
    assert (tee["window"]["anchor"], tee["reasons"][0]) == ("estimated_delivery", "delivery_estimated")


def test_the_refund_summary_counts_the_tax_the_order_charged(stack, shop):
    shop.state.orders[6001] = with_dress(order_with(), tax_lines=[{"price": "4.80", "rate": 0.08, "title": "Tax"}])
    found = record(stack, "little-twinkle-stars", ask(stack, shop, "little-twinkle-stars", [(DRESS, 1, "style")]))
    assert found.evaluation["pending_review"] == {
        "currency": "USD",
        "items": "60.00",
        "tax": "4.80",
        "shipping": "0.00",
        "deductions": "0.00",
        "total": "64.80",
    }


def test_the_customers_note_goes_with_a_late_request_to_the_person_who_reviews_it(stack, shop):
    # Delivered 2 March; the 29th is day 27, after starlightes' 25 days and within its 30.
    asked = [(DRESS, 1, "other", "The parcel sat at the depot for a week")]
    found = record(stack, "starlightes", ask(stack, shop, "starlightes", asked, at="2026-03-29T18:00:00Z"))
    line = found.evaluation["lines"][0]
    assert (line["decision"], line["refund_percent"], line["reasons"][0]) == ("review", 50, "late_window")
    assert line["explanation"].endswith("The customer wrote a note for the reviewer.")


def test_a_return_updated_in_shopify_is_judged_again_with_its_lines_as_they_now_are(stack, shop):
    return_id = ask(stack, shop, "starlow", [(DRESS, 1, "unwanted"), (SWIMSUIT, 1, "unwanted")])
    before = record(stack, "starlow", return_id).evaluation["lines"]
    assert [line["decision"] for line in before] == ["review", "declined"]  # swimwear cannot be returned
    with shop.state.lock:
        shop.state.returns[return_id].lines = shop.state.returns[return_id].lines[:1]  # the swimsuit taken off
    update = (FIXTURES.parents[0] / "webhooks" / "returns" / "update" / "documented_fields.json").read_text()
    body = update.replace("123134564567890", str(return_id))
    stack.deliver("returns/update", body.encode(), "updated", shop=domain("starlow"))
    stack.work()
    assert stack.failed_jobs() == []
    found = record(stack, "starlow", return_id)
    assert [line["line_item_id"] for line in found.request["lines"]] == [DRESS]
    assert (found.decision, found.evaluation["lines"][0]["reasons"]) == ("review", ["needs_inspection"])


def test_a_disposition_on_a_reverse_fulfillment_order_shopify_does_not_know_is_logged_and_records_nothing(
    stack, shop, caplog
):
    connect(stack, shop, "starlow")
    body = FIXTURES.parents[0] / "webhooks" / "reverse_fulfillment_orders" / "dispose" / "documented_fields.json"
    stack.deliver("reverse_fulfillment_orders/dispose", body.read_bytes(), "disposed", shop=domain("starlow"))
    stack.work()
    assert stack.failed_jobs() == []
    assert stack.rows(returns) == []
    assert "FetchReverseFulfillmentOrder" in shop.state.received
    assert "Shopify does not know reverse fulfillment order 123134564567893" in caplog.text

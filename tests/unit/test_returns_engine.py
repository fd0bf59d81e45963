"""What every store shares: amounts, windows in the store's time zone, unknown facts, overall decisions, JSON."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.policies import load_policy
from worker.domain.policy import LateWindow, StorePolicy
from worker.domain.returns import (
    ReturnDecision,
    ReturnRequestError,
    decision_to_json,
    eligible_at_request,
    evaluate_return,
    parse_products,
    parse_request,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "returns"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DRESS, SCARF, TEE = 466157049, 518995019, 703073504


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def evaluate(
    store: str | StorePolicy,
    request: dict[str, Any],
    order: dict[str, Any] | None = None,
    products: dict[str, Any] | None = None,
    now: datetime = NOW,
) -> ReturnDecision:
    return evaluate_return(
        load_policy(store) if isinstance(store, str) else store,
        order or fixture("order.json"),
        parse_request(request),
        parse_products(fixture("products.json") if products is None else products),
        now,
    )


def one_line(line_item_id: int = DRESS, quantity: int = 1, **changes: Any) -> dict[str, Any]:
    request = fixture("request.json")
    request["lines"][0].update(line_item_id=line_item_id, quantity=quantity)
    request.update(changes)
    return request


@pytest.mark.parametrize(
    ("line_item_id", "quantity", "amount"),
    [
        pytest.param(DRESS, 1, "45.00", id="one of two undiscounted units"),
        pytest.param(DRESS, 2, "90.00", id="both units"),
        pytest.param(TEE, 1, "17.00", id="a 9.00 discount on three tees takes 3.00 off each"),
        pytest.param(TEE, 2, "34.00", id="two discounted tees"),
    ],
)
def test_refund_is_what_the_customer_paid_for_the_returned_units(line_item_id: int, quantity: int, amount: str) -> None:
    line = evaluate("layered-jewelry", one_line(line_item_id, quantity)).lines[0]
    assert (line.refund_amount, line.currency) == (Decimal(amount), "USD")


def test_refund_amounts_round_to_cents_in_the_order_currency() -> None:
    order = {
        "currency": "EUR",
        "line_items": [
            {"id": 1, "product_id": 7, "price": "10.00", "quantity": 3, "discount_allocations": [{"amount": "1.00"}]},
        ],
    }
    request = one_line(1, 1)
    line = evaluate("charms-fr", request, order, {"7": {"product_type": "Charms", "tags": []}}).lines[0]
    assert (str(line.refund_amount), line.currency) == ("9.67", "EUR")


def test_window_is_judged_on_the_day_the_customer_asked_not_today() -> None:
    decision = evaluate("starlow", one_line(), now=datetime(2026, 6, 1, tzinfo=UTC))
    assert decision.decision == "approved"


def test_window_runs_to_today_when_the_request_has_no_date() -> None:
    request = one_line()
    del request["requested_at"]
    assert evaluate("starlow", request, now=datetime(2026, 3, 15, 23, 0, tzinfo=UTC)).decision == "approved"
    assert evaluate("starlow", request, now=datetime(2026, 3, 16, 12, 0, tzinfo=UTC)).decision == "declined"


@pytest.mark.parametrize(
    ("requested_at", "decision"),
    [
        pytest.param("2026-03-16T06:00:00Z", "approved", id="23:00 on day 14 in Los Angeles is still in"),
        pytest.param("2026-03-16T08:00:00Z", "declined", id="01:00 on day 15 in Los Angeles is out"),
    ],
)
def test_window_counts_calendar_days_in_the_store_time_zone(requested_at: str, decision: str) -> None:
    # Delivered 2026-03-02T07:30Z, which is still March 1 in Los Angeles: day 14 is March 15 there.
    request = one_line(requested_at=requested_at, delivered_at="2026-03-02T07:30:00Z")
    result = evaluate("starlow", request)
    assert (result.decision, result.window.starts.isoformat() if result.window.starts else None) == (
        decision,
        "2026-03-01",
    )


def test_without_a_delivery_scan_the_window_counts_from_an_estimate_and_a_person_confirms_it() -> None:
    request = one_line(delivered_at=None, fulfilled_at="2026-01-01T12:00:00Z", requested_at="2026-03-14T12:00:00Z")
    result = evaluate("layered-jewelry", request)
    assert (result.window.anchor, str(result.window.starts), str(result.window.ends)) == (
        "estimated_delivery",
        "2026-01-13",
        "2026-03-14",
    )
    line = result.lines[0]
    assert (result.decision, line.reasons, str(line.refund_amount)) == ("review", ("delivery_estimated",), "45.00")
    assert "estimated delivery on 2026-01-13" in line.explanation
    assert result.refund.total == 0 and str(result.pending_review.total) == "45.00"


def test_past_a_window_counted_from_the_latest_estimated_delivery_the_line_is_declined() -> None:
    # layered-jewelry's estimate is shipping plus its longest delivery, 12 days: the real window closed no later.
    request = one_line(delivered_at=None, fulfilled_at="2026-01-01T12:00:00Z", requested_at="2026-03-15T12:00:00Z")
    line = evaluate("layered-jewelry", request).lines[0]
    assert (line.reasons, line.explanation) == (
        ("outside_window",),
        "Asked 61 days after the estimated delivery date, past the 60-day return window.",
    )


def test_without_delivery_or_fulfillment_dates_a_person_checks_the_window() -> None:
    result = evaluate("starlow", one_line(delivered_at=None, fulfilled_at=None))
    assert (result.decision, result.lines[0].reasons) == ("review", ("delivery_unknown",))
    assert decision_to_json(result)["window"] == {"anchor": "unknown", "starts": None, "ends": None}


def with_returns(store: str, **changes: Any) -> StorePolicy:
    """The store's policy with some of its returns rules changed, for rules no published policy has."""
    policy = load_policy(store)
    return replace(policy, returns=replace(policy.returns, **changes))


def counted_from_fulfillment(store: str) -> StorePolicy:
    """The store's policy, its window counted from the day the order shipped (`anchor = "fulfillment"`)."""
    return with_returns(store, window=replace(load_policy(store).returns.window, anchor="fulfillment"))


@pytest.mark.parametrize(
    ("fulfilled_at", "expected"),
    [
        pytest.param("2026-02-24T12:00:00Z", ("approved", (), "fulfillment", "2026-02-24"), id="day 14 is in"),
        pytest.param(
            "2026-02-23T12:00:00Z", ("declined", ("outside_window",), "fulfillment", "2026-02-23"), id="day 15"
        ),
        pytest.param(None, ("review", ("delivery_unknown",), "unknown", "None"), id="not shipped as far as we know"),
    ],
)
def test_a_window_counted_from_fulfillment_ignores_the_delivery_scan(
    fulfilled_at: str | None, expected: tuple[str, tuple[str, ...], str, str]
) -> None:
    result = evaluate(counted_from_fulfillment("starlow"), one_line(fulfilled_at=fulfilled_at))  # delivered 03-01
    line = result.lines[0]
    assert (line.decision, line.reasons, result.window.anchor, str(result.window.starts)) == expected


def test_past_a_window_counted_from_fulfillment_the_explanation_names_the_fulfillment_date() -> None:
    result = evaluate(counted_from_fulfillment("starlow"), one_line(fulfilled_at="2026-02-20T12:00:00Z"))
    assert result.lines[0].explanation == "Asked 18 days after the fulfillment date, past the 14-day return window."


@pytest.mark.parametrize(
    ("request_changes", "line_changes", "eligible"),
    [
        pytest.param({}, {}, True, id="every line approved"),
        pytest.param({}, {"condition": None}, True, id="held only until its condition is seen at inspection"),
        pytest.param({"delivered_at": None, "fulfilled_at": None}, {}, False, id="a person must check the window"),
        pytest.param({}, {"line_item_id": SCARF}, False, id="a line declined"),
    ],
)
def test_a_return_is_eligible_at_request_when_only_inspection_can_still_refuse_it(
    request_changes: dict[str, Any], line_changes: dict[str, Any], eligible: bool
) -> None:
    request = one_line(**request_changes)
    line = request["lines"][0]
    line.update(line_changes)
    request["lines"][0] = {k: v for k, v in line.items() if v is not None}
    assert eligible_at_request(evaluate("starlow", request)) is eligible


def test_a_request_from_shopify_that_knows_only_the_reason_is_reviewed_not_approved() -> None:
    result = evaluate("starlightes", fixture("request_from_shopify.json"), products={})
    assert result.decision == "review"
    assert set(result.lines[0].reasons) == {"needs_inspection", "product_unknown"}


def test_a_gift_card_line_is_never_returnable_even_without_product_facts() -> None:
    order = fixture("order.json")
    order["line_items"][0]["gift_card"] = True
    assert evaluate("starlow", one_line(), order).lines[0].reasons == ("excluded_category",)


@pytest.mark.parametrize(
    ("store", "lines", "overall"),
    [
        pytest.param("layered-jewelry", [(DRESS, {})], "approved", id="every line approved in full"),
        pytest.param("starlow", [(SCARF, {})], "declined", id="every line declined"),
        pytest.param("starlow", [(DRESS, {}), (SCARF, {})], "partial", id="one approved and one declined"),
        pytest.param("starlightes", [(DRESS, {"packaging": "minor_damage"})], "partial", id="approved at 50 %"),
        pytest.param("starlow", [(DRESS, {}), (TEE, {"condition": None})], "review", id="any line needs a person"),
    ],
)
def test_overall_decision_follows_the_lines(store: str, lines: list[tuple[int, dict[str, Any]]], overall: str) -> None:
    request = fixture("request.json")
    template = request["lines"][0]
    request["lines"] = [
        {k: v for k, v in {**template, "line_item_id": i, **changes}.items() if v is not None} for i, changes in lines
    ]
    assert evaluate(store, request).decision == overall


def test_postage_is_kept_only_when_the_whole_free_shipping_order_comes_back() -> None:
    free = fixture("order.json")
    free["shipping_lines"][0]["discount_allocations"] = [{"amount": "10.00"}]
    whole = evaluate(
        "charms-fr",
        fixture("request_whole_order.json"),
        free,
        products={str(p): {"product_type": "Charms", "tags": []} for p in (632910392, 921728736, 457924702)},
    )
    assert [str(line.refund_amount) for line in whole.lines] == ["90.00", "24.00", "51.00"]
    assert whole.refund.to_json() == {
        "currency": "USD",
        "items": "165.00",
        "tax": "0.00",
        "shipping": "0.00",
        "deductions": "4.90",
        "total": "160.10",
    }
    assert whole.decision == "approved"
    part = evaluate("charms-fr", one_line(), free)
    assert (str(part.refund.deductions), str(part.refund.total)) == ("0.00", "45.00")


def whole_free_shipping_order(line_changes: dict[int, dict[str, Any]], **request_changes: Any) -> ReturnDecision:
    """charms-fr: the whole free-shipping order asked back (dresses 90.00, scarf 24.00, tees 51.00)."""
    free = fixture("order.json")
    free["shipping_lines"][0]["discount_allocations"] = [{"amount": "10.00"}]
    request = fixture("request_whole_order.json")
    for line in request["lines"]:
        line.update(line_changes.get(line["line_item_id"], {}))
    request.update(request_changes)
    products = {str(p): {"product_type": "Charms", "tags": []} for p in (632910392, 921728736, 457924702)}
    return evaluate("charms-fr", request, free, products)


def test_a_declined_line_stays_with_the_customer_so_the_order_is_not_returned_whole() -> None:
    decision = whole_free_shipping_order({SCARF: {"condition": "used"}})
    assert [line.decision for line in decision.lines] == ["approved", "declined", "approved"]
    assert (str(decision.refund.deductions), str(decision.refund.total)) == ("0.00", "141.00")


def test_postage_is_kept_from_the_refund_and_named_only_on_the_lines_refunded() -> None:
    # The tees came back in an earlier return, and the dresses are exchanged: the scarf completes the order.
    decision = whole_free_shipping_order({DRESS: {"preferred_resolution": "exchange"}}, returned_before={str(TEE): 3})
    assert [(line.resolution, line.reasons) for line in decision.lines] == [
        ("exchange", ()),
        ("refund", ("postage_deducted",)),
        ("none", ("already_returned",)),
    ]
    assert (str(decision.refund.items), str(decision.refund.deductions), str(decision.refund.total)) == (
        "24.00",
        "4.90",
        "19.10",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"line_item_id": 999}, "line item 999 is not in the order", id="unknown line item"),
        pytest.param({"quantity": 3}, "asks to return 3 of 2 bought", id="more units than bought"),
        pytest.param({"condition": "mint"}, "condition: 'mint' is not one of", id="bad enum value"),
        pytest.param({"reason": None}, "reason: None is not one of", id="reason missing"),
        pytest.param({"reported_at": "2026-03-02"}, "needs a UTC offset", id="date without offset"),
        pytest.param({"reported_at": "yesterday"}, "is not an ISO-8601 date-time", id="bad date"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_field(change: dict[str, Any], message: str) -> None:
    request = fixture("request.json")
    request["lines"][0].update(change)
    with pytest.raises(ReturnRequestError, match=message):
        evaluate("starlow", request)


def test_json_rendering_follows_the_contract() -> None:
    rendered = decision_to_json(evaluate("starlow", one_line()))
    line = rendered["lines"][0]
    window = {"anchor": "delivery", "starts": "2026-03-01", "ends": "2026-03-15"}
    nothing = {"currency": "USD", "items": "0.00", "tax": "0.00", "shipping": "0.00", "deductions": "0.00"}
    assert rendered == {
        "store": "starlow",
        "policy_version": load_policy("starlow").version,
        "decision": "approved",
        "window": window,
        "refund": {**nothing, "items": "45.00", "total": "45.00"},
        "pending_review": {**nothing, "total": "0.00"},
        "lines": [line],
    }
    assert {k: v for k, v in line.items() if k != "explanation"} == {
        "line_item_id": DRESS,
        "decision": "approved",
        "resolution": "refund",
        "refund_percent": 100,
        "refund_amount": "45.00",
        "refund_items": "45.00",
        "refund_tax": "0.00",
        "currency": "USD",
        "return_shipping_paid_by": "customer",
        "refund_original_shipping": False,
        "window": window,
        "reasons": [],
    }
    assert line["explanation"].endswith(".")
    assert json.loads(json.dumps(rendered)) == rendered


def test_the_order_is_not_changed_by_evaluation() -> None:
    order = fixture("order.json")
    before = copy.deepcopy(order)
    evaluate("charms-fr", fixture("request_whole_order.json"), order)
    assert order == before


def test_product_facts_of_the_wrong_shape_are_refused_naming_the_product() -> None:
    with pytest.raises(ReturnRequestError) as refused:
        parse_products({"632910392": {"product_type": 5, "tags": []}})
    assert str(refused.value) == "products: 632910392: product_type must be a string and tags a list of strings"


def test_an_approved_line_explains_the_postage_kept_before_its_partial_refund() -> None:
    # No published policy both keeps postage and refunds in part; one that did would name the money kept first.
    policy = with_returns("starlightes", postage_deduction=Decimal("4.90"))
    free = {
        "currency": "USD",
        "line_items": [{"id": 1, "product_id": 7, "price": "45.00", "quantity": 1}],
        "shipping_lines": [{"price": "0.00"}],
    }
    request = one_line(1, 1)
    request["lines"][0]["packaging"] = "minor_damage"
    decision = evaluate(policy, request, free, {"7": {"product_type": "Cookware", "tags": []}})
    line = decision.lines[0]
    assert (line.reasons, line.explanation) == (
        ("partial_refund", "postage_deducted"),
        "The 4.90 USD postage the store paid on this free-shipping order is kept from the refund.",
    )
    assert (str(decision.refund.items), str(decision.refund.total)) == ("22.50", "17.60")


@pytest.mark.parametrize(
    "exclusions",
    [
        pytest.param({"custom_tags": frozenset({"engraved"})}, id="a store refusing only engraved items"),
        pytest.param({"product_types": frozenset({"swimwear"})}, id="a store refusing only swimwear"),
        pytest.param({"tags": frozenset({"gift-card"})}, id="a store refusing only products tagged gift-card"),
    ],
)
def test_any_exclusion_sends_a_product_nobody_described_to_a_person(exclusions: dict[str, Any]) -> None:
    only = replace(load_policy("layered-jewelry").returns.exclusions, **exclusions)  # it excludes nothing itself
    line = evaluate(with_returns("layered-jewelry", exclusions=only), one_line(), products={}).lines[0]
    assert (line.decision, line.reasons) == ("review", ("product_unknown",))


def request_with(where: str, value: Any) -> Any:
    """request.json with one field of the request (`gift`) or of its line (`lines[0].photos`) set to `value`."""
    request = fixture("request.json")
    target = request["lines"][0] if where.startswith("lines[0].") else request
    target[where.removeprefix("lines[0].")] = value
    return request


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("lines[0].quantity", 0, "request: lines[0].quantity: must be at least 1, got 0"),
        ("lines[0].line_item_id", "dress", "request: lines[0].line_item_id: expected a whole number, got 'dress'"),
        ("lines[0].reported_at", "today", "request: lines[0].reported_at: 'today' is not an ISO-8601 date-time"),
        ("lines[0].delivered_at", "soon", "request: lines[0].delivered_at: 'soon' is not an ISO-8601 date-time"),
        ("lines[0].photos", "yes", "request: lines[0].photos: expected true or false, got 'yes'"),
        ("lines[0].tags_attached", "yes", "request: lines[0].tags_attached: expected true or false, got 'yes'"),
        ("requested_at", 5, "request.requested_at: expected an ISO-8601 date-time, got 5"),
        ("returned_before", {"dress": 1}, "request: returned_before[dress]: expected a whole number, got 'dress'"),
        ("lines[0].customer_note", 5, "request: lines[0].customer_note: expected text, got int"),
        ("requested_at", "noon", "request.requested_at: 'noon' is not an ISO-8601 date-time"),
        ("delivered_at", "soon", "request.delivered_at: 'soon' is not an ISO-8601 date-time"),
        ("fulfilled_at", "soon", "request.fulfilled_at: 'soon' is not an ISO-8601 date-time"),
        ("gift", "yes", "request.gift: expected true or false, got 'yes'"),
        ("gift_shipped_to_recipient", "yes", "request.gift_shipped_to_recipient: expected true or false, got 'yes'"),
        ("returned_before", [2], "request: returned_before must be an object of line item id -> units"),
        ("returned_before", {"11": "two"}, "request: returned_before[11]: expected a whole number, got 'two'"),
    ],
)
def test_a_request_that_cannot_be_read_is_refused_naming_the_field(where: str, value: Any, message: str) -> None:
    with pytest.raises(ReturnRequestError) as refused:
        parse_request(request_with(where, value))
    assert str(refused.value) == message


def test_a_request_naming_a_line_twice_is_refused() -> None:
    request = fixture("request.json")
    request["lines"].append(request["lines"][0])
    with pytest.raises(ReturnRequestError) as refused:
        parse_request(request)
    assert str(refused.value) == "request: line item 466157049 appears more than once"


def test_product_facts_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(ReturnRequestError) as refused:
        parse_products([{"product_type": "Dresses"}])
    assert str(refused.value) == "products: expected a JSON object keyed by product id"


def test_a_request_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ReturnRequestError) as refused:
        parse_request(fixture("request.json")["lines"])
    assert str(refused.value) == "request: expected a JSON object"


@pytest.mark.parametrize(
    ("order", "message"),
    [
        pytest.param([], "order: expected a Shopify order object with line_items", id="a list"),
        pytest.param({"currency": "USD"}, "order: expected a Shopify order object with line_items", id="no lines"),
        pytest.param({"line_items": [], "currency": ""}, "order: currency is missing", id="no currency"),
    ],
)
def test_an_order_that_is_not_a_shopify_order_is_refused(order: Any, message: str) -> None:
    with pytest.raises(ReturnRequestError) as refused:
        evaluate_return(load_policy("starlow"), order, parse_request(one_line()), {}, NOW)
    assert str(refused.value) == message


def test_after_the_window_no_exchange_even_where_the_late_days_refund_in_full() -> None:
    # starlightes: "If 25 days have passed since your delivery date, we cannot offer a full refund or exchange".
    policy = with_returns("starlightes", late_window=LateWindow(until_day=30, percent=100))
    request = one_line(requested_at="2026-03-28T12:00:00Z", delivered_at="2026-03-01T12:00:00Z")
    request["lines"][0]["preferred_resolution"] = "exchange"
    line = evaluate(policy, request).lines[0]
    assert (line.decision, line.resolution, line.reasons) == ("review", "refund", ("late_window", "no_exchanges"))

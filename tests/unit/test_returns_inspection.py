"""The inspection stage: Shopify's dispositions and a person's findings judged by the store's policy, the outcome in
one word, and the refund returnProcess is asked to make."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.policies import load_policy
from worker.domain.returns import ReturnRequestError, parse_products, parse_request
from worker.domain.returns.inspection import (
    Findings,
    Inspection,
    inspect_return,
    parse_form,
    plan_from_json,
    refund_plan,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "returns"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DRESS, SCARF, TEE = 466157049, 518995019, 703073504  # 45.00 each (two bought), 24.00, 17.00 each (three bought)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def asked(line_item_id: int = DRESS, quantity: int = 1, reason: str = "size_too_small", **facts: Any) -> Any:
    """A live request: lines, quantities and reasons only; nothing about the item's condition."""
    request = fixture("request.json")
    request["lines"] = [{"line_item_id": line_item_id, "quantity": quantity, "reason": reason, **facts}]
    return parse_request(request)


def inspect(
    store: str, dispositions: dict[str, int] | None = None, form: dict[str, Any] | None = None, **asking: Any
) -> Inspection:
    request = asked(**asking)
    line = request.lines[0]
    found = {line.line_item_id: Findings(line.line_item_id, dispositions or {}, parse_form(form or {}))}
    return inspect_return(
        load_policy(store), fixture("order.json"), request, found, parse_products(fixture("products.json")), NOW
    )


@pytest.mark.parametrize(
    ("store", "dispositions", "form", "outcome", "total"),
    [
        pytest.param(
            "starlightes", {"restocked": 1}, {"packaging": "minor_damage", "tags_attached": True,
                                               "missing_accessories": "none"},
            "partial_refund", "22.50",
            id="starlightes: 'Items returned with minor damage to packaging ... up to 50%'",
        ),
        pytest.param(
            "starlightes", {"restocked": 1}, {"packaging": "original", "tags_attached": True,
                                               "missing_accessories": "none"},
            "full_refund", "45.00", id="starlightes: restocked, boxed and complete is a full refund",
        ),
        pytest.param(
            "starlightes", {"not_restocked": 1}, {"packaging": "original", "tags_attached": True,
                                                   "missing_accessories": "none"},
            "no_refund", "0.00", id="starlightes: not restocked is used, and 'used ... items' are non-refundable",
        ),
        pytest.param(
            "little-twinkle-stars", {"restocked": 1}, {"tags_attached": False},
            "no_refund", "0.00", id="little-twinkle-stars: 'still have the tags on' refuses a tagless item",
        ),
        pytest.param(
            "charms-fr", {"not_restocked": 1}, None, "no_refund", "0.00",
            id="charms-fr: 'unused or opened': a used item is not taken back",
        ),
        pytest.param(
            "layered-jewelry", {"restocked": 1},
            {"packaging": "original", "tags_attached": True, "missing_accessories": "none"},
            "full_refund", "45.00", id="layered-jewelry: 'unused and in original condition'",
        ),
    ],
)  # fmt: skip
def test_the_facts_found_at_inspection_give_the_policys_outcome(store, dispositions, form, outcome, total):
    inspection = inspect(store, dispositions, form)
    assert (inspection.outcome, inspection.decision.refund.total) == (outcome, Decimal(total))


def test_a_disposition_that_needs_processing_leaves_the_condition_to_a_person():
    inspection = inspect("starlightes", {"processing_required": 1})
    assert inspection.outcome == "review"
    assert inspection.decision.lines[0].reasons == ("needs_inspection",)


def test_a_line_not_every_unit_of_which_is_disposed_waits_for_the_rest_of_its_parcel():
    inspection = inspect("layered-jewelry", {"restocked": 1}, quantity=2)
    assert (inspection.outcome, inspection.awaiting) == ("awaiting", (DRESS,))


def test_a_line_nothing_is_known_about_yet_waits_for_its_parcel():
    request = asked()
    inspection = inspect_return(
        load_policy("charms-fr"), fixture("order.json"), request, {}, parse_products(fixture("products.json")), NOW
    )
    assert (inspection.outcome, inspection.awaiting, inspection.conflicts) == ("awaiting", (DRESS,), ())


def test_one_unit_not_restocked_makes_the_line_used():
    # starlightes: "Be unused": of two units back, one Shopify did not restock.
    inspection = inspect(
        "starlightes",
        {"restocked": 1, "not_restocked": 1},
        {"packaging": "original", "tags_attached": True, "missing_accessories": "none"},
        quantity=2,
    )
    assert (inspection.outcome, inspection.decision.lines[0].reasons) == ("no_refund", ("condition_not_met",))


def test_an_exchange_granted_at_inspection_is_an_exchange_outcome():
    # starlightes: "Exchanges are available for unused, undamaged items if you need a different size".
    complete = {"packaging": "original", "tags_attached": True, "missing_accessories": "none"}
    inspection = inspect("starlightes", {"restocked": 1}, complete, preferred_resolution="exchange")
    assert (inspection.outcome, refund_plan(inspection).total) == ("exchange", Decimal("0.00"))


def test_a_return_with_one_line_refused_is_a_partial_refund():
    # charms-fr: the scarf is tagged Final-Sale ("items tagged final-sale are final"); the dress is refunded whole.
    request = fixture("request.json")
    request["lines"] = [
        {"line_item_id": DRESS, "quantity": 1, "reason": "style"},
        {"line_item_id": SCARF, "quantity": 1, "reason": "style"},
    ]
    found = {line_id: Findings(line_id, {"restocked": 1}, {}) for line_id in (DRESS, SCARF)}
    inspection = inspect_return(
        load_policy("charms-fr"), fixture("order.json"), parse_request(request), found,
        parse_products(fixture("products.json")), NOW,
    )  # fmt: skip
    assert [line.decision for line in inspection.decision.lines] == ["approved", "declined"]
    assert (inspection.outcome, refund_plan(inspection).total) == ("partial_refund", Decimal("45.00"))


def test_a_missing_unit_is_not_refunded_and_the_rest_is():
    inspection = inspect("charms-fr", {"restocked": 2, "missing": 1}, line_item_id=TEE, quantity=3)
    line = inspection.decision.lines[0]
    assert (line.decision, line.refund_items, "units_missing" in line.reasons) == ("approved", Decimal("34.00"), True)
    assert refund_plan(inspection).lines == ((TEE, 2),)


def test_an_item_that_never_came_back_is_declined():
    inspection = inspect("charms-fr", {"missing": 1})
    assert (inspection.outcome, inspection.decision.lines[0].reasons) == ("no_refund", ("not_returned",))
    assert inspection.decision.lines[0].explanation.startswith("Shopify's disposition says the item never came back")


@pytest.mark.parametrize(
    ("dispositions", "form", "shown"),
    [
        pytest.param({"missing": 1}, {"condition": "unused"}, ("missing (1)", "condition: unused"),
                     id="a form saying unused after a missing disposition"),
        pytest.param({"restocked": 1}, {"condition": "used"}, ("restocked (1)", "condition: used"),
                     id="a form saying used after a restocked disposition"),
    ],
)  # fmt: skip
def test_contradictory_facts_go_to_a_person_with_both_shown(dispositions, form, shown):
    inspection = inspect("charms-fr", dispositions, form)
    assert (inspection.outcome, inspection.decision.lines[0].reasons[0]) == ("review", "contradictory_facts")
    disposition, said = shown
    assert [c.to_json() for c in inspection.conflicts] == [
        {"line_item_id": DRESS, "disposition": disposition, "form": said}
    ]


def test_a_persons_finding_refines_what_the_disposition_says():
    # Not restocked (used by the disposition alone), but the person found it opened: charms-fr takes opened items.
    inspection = inspect("charms-fr", {"not_restocked": 1}, {"condition": "opened"})
    assert inspection.outcome == "full_refund"


def test_store_credit_granted_for_a_gift_goes_back_as_store_credit_not_to_the_payment():
    request = fixture("request.json")
    request.update(gift=True, gift_shipped_to_recipient=True)
    request["lines"] = [{"line_item_id": DRESS, "quantity": 1, "reason": "style"}]
    found = {DRESS: Findings(DRESS, {"restocked": 1}, {"packaging": "original", "tags_attached": "attached",
                                                      "missing_accessories": "none"})}  # fmt: skip
    inspection = inspect_return(
        load_policy("starlightes"), fixture("order.json"), parse_request(request), found,
        parse_products(fixture("products.json")), NOW,
    )  # fmt: skip
    plan = refund_plan(inspection)
    assert (inspection.outcome, plan.store_credit, plan.to_payment) == ("store_credit", Decimal("45.00"), Decimal(0))
    assert plan.to_json() == {
        "currency": "USD",
        "lines": [{"line_item_id": DRESS, "quantity": 1}],
        "to_payment": "0.00",
        "store_credit": "45.00",
        "shipping": "0.00",
        "total": "45.00",
    }


def test_a_refund_plan_read_back_asks_for_the_same_refund():
    inspection = inspect("charms-fr", {"restocked": 2, "missing": 1}, line_item_id=TEE, quantity=3)
    plan = refund_plan(inspection)
    assert plan_from_json(json.loads(json.dumps(plan.to_json()))) == plan
    assert (plan.currency, plan.lines, plan.to_payment) == ("USD", ((TEE, 2),), Decimal("34.00"))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"condition": "like new"},
            "line.condition: 'like new' is not one of damaged_by_customer, opened, unused, used",
        ),
        (
            {"colour": "red"},
            "line: unknown fact 'colour' (known: condition, packaging, missing_accessories, tags_attached)",
        ),
    ],
)
def test_a_form_with_a_value_the_policy_does_not_know_is_refused_with_the_fact_named(form, message):
    with pytest.raises(ReturnRequestError) as refused:
        parse_form(form, "line")
    assert str(refused.value) == message


def test_an_inspection_of_a_request_that_gave_no_date_judges_the_window_on_the_day_it_runs():
    request = fixture("request.json")
    del request["requested_at"]
    request["lines"] = [{"line_item_id": DRESS, "quantity": 1, "reason": "style"}]
    found = {DRESS: Findings(DRESS, {"restocked": 1}, {})}
    policy, products = load_policy("charms-fr"), parse_products(fixture("products.json"))
    inspection = inspect_return(policy, fixture("order.json"), parse_request(request), found, products, NOW)
    assert (inspection.outcome, inspection.decision.refund.total) == ("full_refund", Decimal("45.00"))

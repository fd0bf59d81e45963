"""What every store shares: amounts in each currency's minor unit, units that can only come back once, each
line's own window, and the gift flags a checkout leaves in the order's note attributes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.policies import load_policy
from worker.domain.money import minor_unit
from worker.domain.returns import (
    ReturnDecision,
    ReturnRequestError,
    evaluate_return,
    gift_flags,
    parse_products,
    parse_request,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LINE, OTHER, PRODUCT = 11, 12, 701
FACTS = {
    "reason": "style",
    "condition": "unused",
    "packaging": "original",
    "tags_attached": True,
    "missing_accessories": "none",
}


def order(
    currency: str = "USD",
    price: str = "45.00",
    quantity: int = 1,
    discount: str | None = None,
    tax: str | None = None,
    **changes: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": LINE,
        "product_id": PRODUCT,
        "price": price,
        "quantity": quantity,
        "discount_allocations": [{"amount": discount, "discount_application_index": 0}] if discount else [],
        "tax_lines": [{"price": tax, "rate": 0.1, "title": "VAT"}] if tax else [],
    }
    return {
        "currency": currency,
        "taxes_included": False,
        "discount_applications": [{"type": "automatic", "value_type": "fixed_amount", "value": discount or "0"}],
        "line_items": [item],
        "shipping_lines": [{"price": "5.00"}],
        **changes,
    }


def evaluate(
    the_order: dict[str, Any],
    lines: list[dict[str, Any]],
    store: str = "layered-jewelry",
    **request: Any,
) -> ReturnDecision:
    body = {
        "requested_at": "2026-03-10T12:00:00Z",
        "delivered_at": "2026-03-01T12:00:00Z",
        **request,
        "lines": [{**FACTS, **line} for line in lines],
    }
    products = parse_products({str(PRODUCT): {"product_type": "Necklaces", "tags": []}})
    return evaluate_return(load_policy(store), the_order, parse_request(body), products, NOW)


def returned_one_by_one(the_order: dict[str, Any], quantity: int) -> list[ReturnDecision]:
    return [
        evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}], returned_before={str(LINE): done})
        for done in range(quantity)
    ]


@pytest.mark.parametrize(
    ("currency", "price", "discount", "tax", "units"),
    [
        pytest.param("JPY", "1000", "100", "290", ["967", "967", "966"], id="JPY has no minor unit"),
        pytest.param("USD", "10.00", "20.00", None, ["3.34", "3.33", "3.33"], id="USD in cents"),
        pytest.param("KWD", "1.000", "2.000", "0.100", ["0.334", "0.333", "0.333"], id="KWD in fils (three decimals)"),
    ],
)
def test_refunds_are_in_the_currency_minor_unit_and_add_up_to_the_line(
    currency: str, price: str, discount: str | None, tax: str | None, units: list[str]
) -> None:
    the_order = order(currency, price, 3, discount, tax)
    decisions = returned_one_by_one(the_order, 3)
    assert [str(d.lines[0].refund_items) for d in decisions] == units
    assert sum(d.refund.items for d in decisions) == Decimal(price) * 3 - Decimal(discount or 0)
    assert sum(d.refund.tax for d in decisions) == Decimal(tax or 0)
    assert {d.refund.currency for d in decisions} == {currency}


@settings(max_examples=200, deadline=None)
@given(
    currency=st.sampled_from(["USD", "EUR", "JPY", "KWD", "CLF"]),
    price_units=st.integers(0, 10**7),
    quantity=st.integers(1, 7),
    discount_share=st.fractions(0, 1),
    tax_units=st.integers(0, 10**5),
    data=st.data(),
)
def test_any_way_of_returning_a_line_refunds_exactly_what_it_cost(
    currency: str, price_units: int, quantity: int, discount_share: Any, tax_units: int, data: st.DataObject
) -> None:
    unit = minor_unit(currency)
    price = Decimal(price_units) * unit
    discount = (Decimal(int(price_units * quantity * discount_share)) * unit).quantize(unit)
    tax = Decimal(tax_units) * unit
    the_order = order(currency, str(price), quantity, str(discount) if discount else None, str(tax) if tax else None)
    done, items, taxes = 0, Decimal(0), Decimal(0)
    while done < quantity:
        batch = data.draw(st.integers(1, quantity - done))
        decision = evaluate(the_order, [{"line_item_id": LINE, "quantity": batch}], returned_before={str(LINE): done})
        refund = decision.refund
        assert refund.items == refund.items.quantize(unit) and refund.tax == refund.tax.quantize(unit)
        assert refund.total == refund.items + refund.tax + refund.shipping - refund.deductions
        items, taxes, done = items + refund.items, taxes + refund.tax, done + batch
    assert (items, taxes) == (price * quantity - discount, tax)


def test_every_tax_line_is_refunded() -> None:
    the_order = order()
    the_order["line_items"][0]["tax_lines"] = [{"price": "2.00", "title": "State"}, {"price": "1.00", "title": "City"}]
    decision = evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}])
    assert (str(decision.refund.tax), str(decision.refund.total)) == ("3.00", "48.00")


def test_units_already_returned_are_named_in_the_explanation() -> None:
    decision = evaluate(order(), [{"line_item_id": LINE, "quantity": 1}], returned_before={str(LINE): 1})
    assert decision.lines[0].explanation == (
        "Only 0 of the 1 units asked for are still returnable; the others were already returned or refunded."
    )


def test_tax_already_inside_the_price_is_not_added_again() -> None:
    decision = evaluate(order(tax="4.09", taxes_included=True), [{"line_item_id": LINE, "quantity": 1}])
    assert (str(decision.refund.items), str(decision.refund.tax), str(decision.refund.total)) == (
        "45.00",
        "0.00",
        "45.00",
    )


@pytest.mark.parametrize(
    ("changes", "request_changes", "asked", "expected"),
    [
        pytest.param(
            {"current_quantity": 1},
            {},
            1,
            ("approved", (), "22.50"),
            id="Shopify's current_quantity: one of two units was removed, the other returns at its own share",
        ),
        pytest.param(
            {"current_quantity": 1},
            {},
            2,
            ("review", ("already_returned",), "22.50"),
            id="asking for more units than current_quantity leaves: a person sees only one can come back",
        ),
        pytest.param(
            {"refunds": [{"refund_line_items": [{"line_item_id": LINE, "quantity": 2}]}]},
            {},
            1,
            ("declined", ("already_returned",), "0.00"),
            id="both units refunded already, as the order's refunds say",
        ),
        pytest.param(
            {},
            {"returned_before": {str(LINE): 2}},
            1,
            ("declined", ("already_returned",), "0.00"),
            id="both units in a return we recorded already",
        ),
        pytest.param(
            {"refunds": [{"refund_line_items": [{"line_item_id": LINE, "quantity": 1}]}]},
            {"returned_before": {str(LINE): 1}},
            1,
            ("approved", (), "22.50"),
            id="a returned unit refunded since is counted once, not twice",
        ),
        pytest.param(
            {"refunds": [{"refund_line_items": [{"line_item_id": LINE, "quantity": 1}]}]},
            {},
            2,
            ("review", ("already_returned",), "22.50"),
            id="one of two units refunded already: a person sees only one can come back",
        ),
        pytest.param(
            {"current_quantity": 0},
            {},
            1,
            ("declined", ("already_returned",), "0.00"),
            id="Shopify's current_quantity 0: both units were removed by an edit",
        ),
        pytest.param(
            {"refunds": [{"refund_line_items": [{"line_item_id": LINE}]}]},
            {},
            2,
            ("approved", (), "45.00"),
            id="a refund line item that gives no quantity gives back no unit",
        ),
        pytest.param(
            {},
            {"returned_before": {str(OTHER): 1}},
            2,
            ("approved", (), "45.00"),
            id="a return recorded for another line item leaves both units of this one",
        ),
    ],
)
def test_a_unit_already_returned_or_refunded_is_not_returned_again(
    changes: dict[str, Any], request_changes: dict[str, Any], asked: int, expected: tuple[str, tuple[str, ...], str]
) -> None:
    the_order = order(price="22.50", quantity=2)
    the_order["line_items"][0].update({k: v for k, v in changes.items() if k == "current_quantity"})
    the_order.update({k: v for k, v in changes.items() if k != "current_quantity"})
    decision = evaluate(the_order, [{"line_item_id": LINE, "quantity": asked}], **request_changes)
    line = decision.lines[0]
    assert (line.decision, line.reasons, str(line.refund_amount)) == expected


def two_line_order() -> dict[str, Any]:
    the_order = order()
    second = {**the_order["line_items"][0], "id": OTHER}
    the_order["line_items"].append(second)
    return the_order


def test_each_line_counts_its_window_from_its_own_delivery() -> None:
    decision = evaluate(
        two_line_order(),
        [
            {"line_item_id": LINE, "quantity": 1, "delivered_at": "2026-01-02T12:00:00Z"},
            {"line_item_id": OTHER, "quantity": 1},
        ],
    )
    first, second = decision.lines
    assert (first.line_item_id, first.decision, first.reasons, str(first.window.starts)) == (
        LINE,
        "declined",
        ("outside_window",),
        "2026-01-02",
    )
    assert (second.decision, str(second.window.starts)) == ("approved", "2026-03-01")
    assert decision.decision == "partial"


def test_a_line_shipped_in_a_parcel_without_a_delivery_scan_goes_to_a_person_with_its_estimate() -> None:
    # The request's delivery date belongs to another parcel: this line's own dates say it only shipped.
    decision = evaluate(
        two_line_order(), [{"line_item_id": LINE, "quantity": 1, "fulfilled_at": "2026-02-20T12:00:00Z"}]
    )
    line = decision.lines[0]
    assert (line.decision, line.reasons, line.window.anchor, str(line.window.starts)) == (
        "review",
        ("delivery_estimated",),
        "estimated_delivery",
        "2026-03-04",
    )


def test_a_defect_deadline_counted_from_an_estimate_goes_to_a_person() -> None:
    decision = evaluate(
        order(),
        [{"line_item_id": LINE, "quantity": 1, "reason": "defective", "photos": True}],
        store="starlightes",
        delivered_at=None,
        fulfilled_at="2026-03-01T12:00:00Z",
        requested_at="2026-03-08T13:00:00Z",
    )
    assert decision.lines[0].reasons[0] == "delivery_estimated"


def test_the_request_window_stays_the_requests_when_a_line_has_its_own_delivery() -> None:
    # layered-jewelry estimates delivery 12 days after shipping: 2026-02-20 + 12 = 2026-03-04.
    decision = evaluate(
        two_line_order(),
        [{"line_item_id": LINE, "quantity": 1, "delivered_at": "2026-03-06T12:00:00Z"}],
        delivered_at=None,
        fulfilled_at="2026-02-20T12:00:00Z",
    )
    assert (decision.window.anchor, str(decision.window.starts), str(decision.lines[0].window.starts)) == (
        "estimated_delivery",
        "2026-03-04",
        "2026-03-06",
    )


@pytest.mark.parametrize(
    ("refunds", "shipping"),
    [
        pytest.param(
            [{"refund_shipping_lines": [{"subtotal_amount_set": {"shop_money": {"amount": "2.00"}}}]}],
            "3.00",
            id="a refund shipping line in the shop's money bag",
        ),
        pytest.param(
            [{"refund_shipping_lines": [{"subtotal_amount": "2.00"}]}],
            "3.00",
            id="a refund shipping line's plain amount",
        ),
        pytest.param(
            [
                {"refund_shipping_lines": [{"subtotal_amount": "2.00"}]},
                {"refund_shipping_lines": [{"subtotal_amount": "1.00"}]},
            ],
            "2.00",
            id="two refunds of shipping add up",
        ),
        pytest.param(
            [
                {
                    "refund_shipping_lines": [{"subtotal_amount": "2.00"}],
                    "order_adjustments": [{"kind": "shipping_refund", "amount": "-1.00"}],
                }
            ],
            "2.00",
            id="a refund shipping line and a shipping adjustment add up",
        ),
        pytest.param(
            [{"order_adjustments": [{"kind": "shipping_refund", "amount": "-2.00"}]}],
            "3.00",
            id="an older refund's shipping adjustment",
        ),
        pytest.param(
            [{"order_adjustments": [{"kind": "refund_discrepancy", "amount": "-2.00"}]}],
            "5.00",
            id="an adjustment of another kind is not shipping",
        ),
    ],
)
def test_original_shipping_refunded_before_is_not_refunded_twice(refunds: list[Any], shipping: str) -> None:
    decision = evaluate(
        order(refunds=refunds),
        [{"line_item_id": LINE, "quantity": 1, "reason": "wrong_item", "photos": True}],
        store="starlightes",
        requested_at="2026-03-01T20:00:00Z",
    )
    assert (str(decision.refund.shipping), decision.refund.total) == (shipping, 45 + Decimal(shipping))


@pytest.mark.parametrize(
    ("code", "decision", "refund"),
    [
        pytest.param(None, "approved", "45.00", id="no discount"),
        pytest.param("9.00", "declined", "0.00", id="a 9.00 code is 20 % of 45.00"),
    ],
)
def test_a_price_given_as_a_whole_number_is_read_as_an_amount(code: str | None, decision: str, refund: str) -> None:
    the_order = order(price=45, discount=code)
    the_order["discount_applications"] = [{"type": "discount_code", "value_type": "fixed_amount", "value": 9}]
    line = evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}], store="starlow").lines[0]
    assert (line.decision, str(line.refund_amount)) == (decision, refund)


def test_a_product_id_that_is_not_a_whole_number_names_no_product() -> None:
    # starlow refuses swimwear and accessories, so a product it cannot look up goes to a person.
    the_order = order()
    the_order["line_items"][0]["product_id"] = float(PRODUCT)
    line = evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}], store="starlow").lines[0]
    assert (line.decision, line.reasons) == ("review", ("product_unknown",))


@pytest.mark.parametrize(
    "applications",
    [
        pytest.param([{"type": "discount_code", "value_type": "percentage", "value": "20.0"}] * 3, id="past the list"),
        pytest.param(["SPRING20", "SUMMER20", "AUTUMN20", "WINTER20"], id="not an application object"),
        pytest.param({"3": {"type": "discount_code", "value": "20.0"}}, id="applications that are not a list"),
    ],
)
def test_a_discount_that_names_no_application_is_checked_by_a_person(applications: Any) -> None:
    # starlow: "Any item purchased using a discount code higher than 15%": 9.00 of 45.00 may be a 20 % code.
    the_order = order(discount_applications=applications)
    the_order["line_items"][0]["discount_allocations"] = [{"amount": "9.00", "discount_application_index": 3}]
    line = evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}], store="starlow").lines[0]
    assert (line.decision, line.reasons, str(line.refund_amount)) == ("review", ("discount_unknown",), "36.00")
    assert line.explanation == (
        "The line's discount does not say whether it came from a discount code above 15 %, so a person should check."
    )


@pytest.mark.parametrize(
    ("store", "changes", "message"),
    [
        pytest.param(
            "layered-jewelry",
            {"price": "free"},
            "order: line_items[0].price: expected an amount, got 'free'",
            id="a price",
        ),
        pytest.param(
            "layered-jewelry",
            {"discount_allocations": [{"amount": "lots"}]},
            "order: line_items[0].discount_allocations.amount: expected an amount, got 'lots'",
            id="a discount allocation",
        ),
        pytest.param(
            "layered-jewelry",
            {"current_quantity": 2},
            "order: line_items[0].current_quantity: expected a whole number up to 1, got 2",
            id="more units left than bought",
        ),
        pytest.param(
            "layered-jewelry",
            {"quantity": -1},
            "order: line_items[0].quantity: expected a whole number, got -1",
            id="a negative quantity",
        ),
        pytest.param(
            "layered-jewelry",
            {"quantity": 0, "current_quantity": 0},
            "request: line item 11 asks to return 1 of 0 bought",
            id="a line of no units",
        ),
        pytest.param(
            "layered-jewelry",
            {"tax_lines": [{"price": "x"}]},
            "order: line_items[0].tax_lines.price: expected an amount, got 'x'",
            id="a tax line",
        ),
        pytest.param(
            "starlow",
            {"discount_allocations": [{"amount": "9.00", "discount_application_index": 0}]},
            "order: discount_applications.value: expected an amount, got 'twenty'",
            id="a discount code's percentage",
        ),
    ],
)
def test_an_order_line_that_cannot_be_priced_is_refused_naming_the_field(
    store: str, changes: dict[str, Any], message: str
) -> None:
    the_order = order(discount_applications=[{"type": "discount_code", "value_type": "percentage", "value": "twenty"}])
    the_order["line_items"][0].update(changes)
    with pytest.raises(ReturnRequestError) as refused:
        evaluate(the_order, [{"line_item_id": LINE, "quantity": 1}], store=store)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"shipping_lines": [{"price": "5.00", "discount_allocations": [{"amount": "some"}]}]},
            "order: shipping_lines.discount_allocations.amount: expected an amount, got 'some'",
            id="a shipping discount",
        ),
        pytest.param(
            {"refunds": [{"refund_shipping_lines": [{"subtotal_amount": "two"}]}]},
            "order: refunds.subtotal_amount: expected an amount, got 'two'",
            id="shipping refunded before",
        ),
    ],
)
def test_shipping_that_cannot_be_read_is_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    # starlightes refunds the original shipping of a wrong item reported in time, so it reads what was paid.
    with pytest.raises(ReturnRequestError) as refused:
        evaluate(
            order(**changes),
            [{"line_item_id": LINE, "quantity": 1, "reason": "wrong_item", "photos": True}],
            store="starlightes",
            requested_at="2026-03-01T20:00:00Z",
        )
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("attributes", "flags"),
    [
        pytest.param([{"name": "Gift", "value": "Yes"}], (True, False), id="a gift box ticked at checkout"),
        pytest.param([{"name": "gift_message", "value": "Happy birthday"}], (True, False), id="a gift message"),
        pytest.param(
            [{"name": "ship_to_recipient", "value": "true"}], (True, True), id="a gift shipped to its recipient"
        ),
        pytest.param([{"name": "gift", "value": "false"}], (False, False), id="a gift box left unticked"),
        pytest.param(
            [{"name": "ship_to_recipient", "value": "no"}], (False, False), id="shipping to a recipient declined"
        ),
        pytest.param([{"name": "newsletter", "value": "yes"}], (False, False), id="a yes that is not about a gift"),
        pytest.param([{"name": "colour", "value": "red"}], (False, False), id="no gift attribute"),
        pytest.param(None, (False, False), id="no note attributes at all"),
    ],
)
def test_gift_flags_come_from_the_order_note_attributes(attributes: Any, flags: tuple[bool, bool]) -> None:
    assert gift_flags(attributes) == flags

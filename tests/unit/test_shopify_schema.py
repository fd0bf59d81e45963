"""The checker that holds answers to Shopify's schema: each way an answer can differ from what Shopify sends is
reported with its path, and what Shopify does send passes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.shopify_schema import Problem, answer_problems, assert_answer_fits
from worker.adapters.shopify import documents

FULFILLMENT = {
    "fulfillment": {
        "id": "gid://shopify/Fulfillment/255858046",
        "name": "#1001.1",
        "status": "SUCCESS",
        "displayStatus": "DELIVERED",
        "createdAt": "2026-01-03T16:00:00Z",
        "updatedAt": "2026-01-06T21:00:00Z",
        "deliveredAt": "2026-01-06T21:00:00Z",
        "order": {"id": "gid://shopify/Order/820982911946154600"},
        "location": {"id": "gid://shopify/Location/111"},
        "trackingInfo": [{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}],
        "fulfillmentLineItems": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentLineItem/1",
                    "quantity": 2,
                    "lineItem": {"id": "gid://shopify/LineItem/487817672276298601"},
                }
            ],
        },
    }
}
VARIABLES = {"id": "gid://shopify/Fulfillment/255858046"}


def problems_after(change: Any, document: str = documents.FETCH_FULFILLMENT, data: Any = FULFILLMENT) -> list[str]:
    changed = copy.deepcopy(data)
    change(changed)
    return [str(problem) for problem in answer_problems(document, changed, VARIABLES)]


def test_an_answer_as_shopify_sends_it_fits() -> None:
    assert answer_problems(documents.FETCH_FULFILLMENT, FULFILLMENT, VARIABLES) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param(
            lambda d: d["fulfillment"].update(name=None),
            "fulfillment.name: null where the schema says String!",
            id="null-for-non-null",
        ),
        pytest.param(
            lambda d: d["fulfillment"].pop("createdAt"),
            "fulfillment.createdAt: selected, but missing from the answer",
            id="missing-field",
        ),
        pytest.param(
            lambda d: d["fulfillment"]["fulfillmentLineItems"]["nodes"][0].update(quantity=2.0),
            "fulfillment.fulfillmentLineItems.nodes[0].quantity: expected Int (a JSON integer), got float 2.0",
            id="float-for-int",
        ),
        pytest.param(
            lambda d: d["fulfillment"]["fulfillmentLineItems"]["nodes"][0].update(quantity="2"),
            "fulfillment.fulfillmentLineItems.nodes[0].quantity: expected Int (a JSON integer), got str '2'",
            id="string-for-int",
        ),
        pytest.param(
            lambda d: d["fulfillment"].update(updatedAt="2026-01-06T21:00:00"),
            "fulfillment.updatedAt: expected DateTime as ISO 8601 with an offset like '2019-09-07T15:50:00Z',"
            " got '2026-01-06T21:00:00'",
            id="datetime-without-offset",
        ),
        pytest.param(
            lambda d: d["fulfillment"].update(displayStatus="delivered"),
            "fulfillment.displayStatus: 'delivered' is not a value of the enum FulfillmentDisplayStatus",
            id="enum-in-rest-spelling",
        ),
        pytest.param(
            lambda d: d["fulfillment"]["order"].update(id=820982911946154600),
            "fulfillment.order.id: expected ID as a string, got int 820982911946154600",
            id="number-for-id",
        ),
        pytest.param(
            lambda d: d["fulfillment"]["order"].update(id="gid://shopify/Fulfillment/1"),
            "fulfillment.order.id: expected an id of the form 'gid://shopify/Order/<number>',"
            " got 'gid://shopify/Fulfillment/1'",
            id="id-of-another-type",
        ),
        pytest.param(
            lambda d: d["fulfillment"]["trackingInfo"][0].update(email="someone@example.com"),
            "fulfillment.trackingInfo[0].email: not selected by the document, and Shopify never sends what was not"
            " asked for",
            id="unselected-key",
        ),
        pytest.param(
            lambda d: d["fulfillment"].update(trackingInfo=[None]),
            "fulfillment.trackingInfo[0]: null where the schema says FulfillmentTrackingInfo!",
            id="null-in-a-list-of-non-null",
        ),
        pytest.param(
            lambda d: d["fulfillment"].update(order="gid://shopify/Order/820982911946154600"),
            "fulfillment.order: expected an object (Order), got str",
            id="scalar-for-object",
        ),
    ],
)
def test_each_way_of_differing_from_shopify_is_reported_with_its_path(change: Any, problem: str) -> None:
    assert problems_after(change) == [problem]


def test_every_problem_is_reported_not_only_the_first() -> None:
    def break_three_things(data: dict[str, Any]) -> None:
        data["fulfillment"]["name"] = None
        data["fulfillment"]["status"] = "success"
        data["fulfillment"]["fulfillmentLineItems"]["nodes"][0]["quantity"] = 2.5

    assert problems_after(break_three_things) == [
        "fulfillment.fulfillmentLineItems.nodes[0].quantity: expected Int (a JSON integer), got float 2.5",
        "fulfillment.name: null where the schema says String!",
        "fulfillment.status: 'success' is not a value of the enum FulfillmentStatus",
    ]


ORDER_LINE = {
    "id": "gid://shopify/LineItem/1",
    "name": "Aviator sunglasses",
    "sku": None,
    "quantity": 1,
    "currentQuantity": 1,
    "requiresShipping": True,
    "isGiftCard": False,
    "originalUnitPriceSet": {"shopMoney": {"amount": "89.99"}},
    "variant": None,
    "product": None,
    "discountAllocations": [],
    "taxLines": [],
}


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("89.99", None),
        ("-0.5", None),
        (89.99, "expected Decimal as a string, got float 89.99"),
        ("$89.99", "expected Decimal as a decimal string like '29.99', got '$89.99'"),
    ],
)
def test_an_amount_of_money_is_a_decimal_string(amount: Any, problem: str | None) -> None:
    line = {**ORDER_LINE, "originalUnitPriceSet": {"shopMoney": {"amount": amount}}}
    data = {"order": {"lineItems": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [line]}}}

    found = answer_problems(documents.FETCH_ORDER_LINE_ITEMS, data, {"id": "gid://shopify/Order/1"})

    assert found == (
        [Problem("order.lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount", problem)] if problem else []
    )


def test_the_concrete_type_of_an_interface_is_the_one_whose_selected_fields_the_answer_holds() -> None:
    data = {"nodes": [{"id": "gid://shopify/Product/1", "productType": "Shoes", "tags": ["sale"]}, None, {}]}
    ids = ["gid://shopify/Product/1", "gid://shopify/Product/2", "gid://shopify/Collection/3"]

    assert answer_problems(documents.FETCH_PRODUCT_FACTS, data, {"ids": ids}) == []
    assert answer_problems(
        documents.FETCH_PRODUCT_FACTS, {"nodes": [{"id": "gid://shopify/Product/1"}]}, {"ids": ids}
    ) == [
        Problem("nodes[0].productType", "selected, but missing from the answer"),
        Problem("nodes[0].tags", "selected, but missing from the answer"),
    ]


def test_a_user_error_type_without_a_code_must_not_carry_one() -> None:
    refusal = {"field": ["id"], "message": "Order does not exist", "code": None}
    data = {"orderUpdate": {"order": None, "userErrors": [refusal]}}

    assert answer_problems(documents.SET_ORDER_NOTE, data, {"input": {"id": "gid://shopify/Order/1", "note": "x"}}) == [
        Problem(
            "orderUpdate.userErrors[0].code",
            "not selected by the document, and Shopify never sends what was not asked for",
        )
    ]


def test_variables_shopify_would_refuse_are_reported() -> None:
    assert answer_problems(documents.FETCH_PRODUCT_FACTS, {"nodes": []}, {"ids": None}) == [
        Problem(
            "",
            "the request's variables: Variable '$ids' has invalid value: Expected value of non-null type"
            " '[ID!]!' not to be None.",
        )
    ]


def test_a_document_shopify_would_refuse_is_reported_instead_of_its_answer() -> None:
    assert answer_problems("query Q { shop { nme } }", {"shop": {"nme": "x"}}) == [
        Problem("", "Shopify would refuse the document: Cannot query field 'nme' on type 'Shop'. Did you mean 'name'?")
    ]


def test_assert_answer_fits_names_the_operation_and_each_path() -> None:
    broken = copy.deepcopy(FULFILLMENT)
    broken["fulfillment"]["name"] = None

    with pytest.raises(AssertionError) as raised:
        assert_answer_fits(documents.FETCH_FULFILLMENT, broken, VARIABLES)

    assert str(raised.value) == (
        "the answer to FetchFulfillment does not fit Shopify's schema:\n"
        "  fulfillment.name: null where the schema says String!"
    )

"""The Shopify adapter against a simulated Admin API (responses): what it sends, what it makes of answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from tests.shopify_schema import assert_answer_fits
from worker.adapters.shopify import (
    RefundToProcess,
    ShopifyClient,
    ShopifyError,
    ShopifyOutcomeUnknown,
    ShopifyUserError,
)
from worker.adapters.shopify.port import ReturnLine
from worker.domain.split.execution import FulfillmentOrder, FulfillmentOrderLine

SHOP = "starlow.myshopify.com"
TOKEN = "shpat_test"
ENDPOINT = f"https://{SHOP}/admin/api/2026-04/graphql.json"


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def client(sleep: RecordedSleep) -> ShopifyClient:
    return ShopifyClient(SHOP, TOKEN, "2026-04", sleep=sleep, max_attempts=4)


@pytest.fixture
def api() -> Any:
    """The simulated Admin API. Each answer with data it gave is then held to Shopify's schema for the document
    that asked for it, so the simulation cannot drift from what Shopify sends."""
    with responses.RequestsMock() as mock:
        yield mock
        for call in mock.calls:  # the mock forgets its calls on leaving the block
            if not isinstance(call.response, requests.Response):
                continue  # a dropped connection
            request = json.loads(call.request.body)
            try:
                data = call.response.json()["data"]
            except (ValueError, KeyError, TypeError):
                continue  # not an answer with data
            assert_answer_fits(request["query"], data, request.get("variables"))


def answer(data: dict[str, Any]) -> dict[str, Any]:
    return {"data": data, "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": 5}}}


def sent(api: Any, index: int = -1) -> dict[str, Any]:
    return json.loads(api.calls[index].request.body)


PING = "query Ping { shop { name } }"
SHOP_NAME = {"shop": {"name": "Starlow"}}

THROTTLED = {
    "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
    "extensions": {
        "cost": {
            "requestedQueryCost": 70,
            "actualQueryCost": None,
            "throttleStatus": {"maximumAvailable": 1000, "currentlyAvailable": 20, "restoreRate": 50},
        }
    },
}


# Configuration


@pytest.mark.parametrize(
    "domain", ["evil.example.com", "https://attacker.com/x.myshopify.com", "", "shop_name.myshopify.com"]
)
def test_a_domain_that_is_not_a_myshopify_shop_is_rejected(domain: str) -> None:
    with pytest.raises(ValueError, match="not a Shopify shop domain"):
        ShopifyClient(domain, TOKEN, "2026-04")


def test_a_bare_shop_name_becomes_its_myshopify_domain() -> None:
    assert ShopifyClient("starlow", TOKEN, "2026-04").shop_domain == "starlow.myshopify.com"


@pytest.mark.parametrize("version", ["2026-4", "latest", "April 2026"])
def test_an_api_version_shopify_does_not_publish_is_rejected(version: str) -> None:
    with pytest.raises(ValueError, match="not a Shopify API version"):
        ShopifyClient(SHOP, TOKEN, version)


def test_requests_carry_the_access_token_to_the_versioned_graphql_endpoint(client: ShopifyClient, api: Any) -> None:
    api.post(ENDPOINT, json=answer({"shop": {"name": "Starlow"}}))

    assert client.graphql("query ShopName { shop { name } }", {}) == {"shop": {"name": "Starlow"}}
    assert api.calls[0].request.headers["X-Shopify-Access-Token"] == TOKEN


# Throttling and failures


def test_a_429_is_retried_after_the_seconds_shopify_asks_for(
    client: ShopifyClient, api: Any, sleep: RecordedSleep
) -> None:
    api.post(ENDPOINT, status=429, headers={"Retry-After": "2.0"}, json={"errors": "Throttled"})
    api.post(ENDPOINT, json=answer(SHOP_NAME))

    assert client.graphql(PING) == SHOP_NAME
    assert sleep.waits == [2.0]


def test_a_throttled_answer_waits_until_the_bucket_holds_the_points_the_query_needs(
    client: ShopifyClient, api: Any, sleep: RecordedSleep
) -> None:
    api.post(ENDPOINT, json=THROTTLED)
    api.post(ENDPOINT, json=answer(SHOP_NAME))

    assert client.graphql(PING) == SHOP_NAME
    assert sleep.waits == [pytest.approx((70 - 20) / 50)]


@pytest.mark.parametrize("failure", [500, 502, 503, requests.ConnectionError("reset")], ids=str)
def test_server_errors_and_dropped_connections_are_retried_with_growing_waits(
    client: ShopifyClient, api: Any, sleep: RecordedSleep, failure: Any
) -> None:
    for _ in range(2):
        if isinstance(failure, Exception):
            api.post(ENDPOINT, body=failure)
        else:
            api.post(ENDPOINT, status=failure, body="oops")
    api.post(ENDPOINT, json=answer(SHOP_NAME))

    assert client.graphql(PING) == SHOP_NAME
    assert sleep.waits == [0.5, 1.0]


@pytest.mark.parametrize(
    "failure", [500, 502, 503, requests.ConnectionError("reset"), requests.ReadTimeout("read timed out")], ids=str
)
def test_a_mutation_whose_answer_is_lost_is_not_sent_again(
    client: ShopifyClient, api: Any, sleep: RecordedSleep, failure: Any
) -> None:
    """Shopify may have moved the fulfillment order before the 502: sending it again would move it twice."""
    if isinstance(failure, Exception):
        api.post(ENDPOINT, body=failure)
    else:
        api.post(ENDPOINT, status=failure, body="Bad Gateway")

    with pytest.raises(ShopifyOutcomeUnknown, match="MoveFulfillmentOrder: the answer was lost"):
        client.move_fulfillment_order("gid://shopify/FulfillmentOrder/1", 66, {"7": 1})
    assert len(api.calls) == 1
    assert sleep.waits == []


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 429, "body": "slow down", "headers": {"Retry-After": "2"}},
        {"status": 200, "json": THROTTLED},
        {"body": requests.ConnectTimeout("no connection")},
    ],
    ids=["429", "throttled", "never connected"],
)
def test_a_mutation_shopify_did_not_run_is_sent_again(client: ShopifyClient, api: Any, failure: Any) -> None:
    api.post(ENDPOINT, **failure)
    api.post(ENDPOINT, json=answer({"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}))

    client.add_tags("gid://shopify/Order/1", ["late-delivery"])
    assert len(api.calls) == 2


def test_when_every_attempt_fails_the_error_says_what_and_how_often(
    client: ShopifyClient, api: Any, sleep: RecordedSleep
) -> None:
    api.post(ENDPOINT, status=503, body="down")

    with pytest.raises(ShopifyError, match=r"Ping failed after 4 attempts: HTTP 503"):
        client.graphql(PING)
    assert len(api.calls) == 4
    assert len(sleep.waits) == 3


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, {"errors": [{"message": "Field 'nope' doesn't exist on type 'QueryRoot'"}]}, "Field 'nope'"),
        (401, {"errors": "[API] Invalid API key or access token"}, "HTTP 401: \\[API\\] Invalid API key"),
        (404, {"errors": "Not Found"}, "HTTP 404"),
    ],
    ids=["graphql error", "bad token", "unknown shop"],
)
def test_answers_that_retrying_cannot_fix_fail_at_once_with_shopifys_words(
    client: ShopifyClient, api: Any, sleep: RecordedSleep, status: int, body: dict[str, Any], message: str
) -> None:
    api.post(ENDPOINT, status=status, json=body)

    with pytest.raises(ShopifyError, match=message):
        client.graphql(PING)
    assert sleep.waits == []


def test_a_mutation_refused_with_user_errors_raises_them(client: ShopifyClient, api: Any) -> None:
    refusal = {"field": ["id"], "message": "Order does not exist"}
    api.post(ENDPOINT, json=answer({"orderUpdate": {"order": None, "userErrors": [refusal]}}))

    with pytest.raises(ShopifyUserError, match="Shopify refused SetOrderNote: id: Order does not exist"):
        client.set_order_note("gid://shopify/Order/1", "checked")


# Reads


def test_a_return_is_read_as_lines_of_line_item_ids_quantities_and_lower_case_reasons(
    client: ShopifyClient, api: Any
) -> None:
    node = {
        "id": "gid://shopify/Return/945000959",
        "status": "REQUESTED",
        "createdAt": "2026-01-05T10:00:00Z",
        "order": {"id": "gid://shopify/Order/4783296544821"},
        "exchangeLineItems": {"nodes": [{"id": "gid://shopify/ExchangeLineItem/3"}]},
        "returnLineItems": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [
                {
                    "id": "gid://shopify/ReturnLineItem/1",
                    "quantity": 2,
                    "customerNote": "Too small",
                    "returnReasonDefinition": {"handle": "too-small"},
                    "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/487817672276298554"}},
                },
                {"id": "gid://shopify/UnverifiedReturnLineItem/2", "quantity": 1, "customerNote": None},
            ],
        },
    }
    api.post(ENDPOINT, json=answer({"return": node}))

    request = client.fetch_return("945000959")

    assert sent(api)["variables"]["id"] == "gid://shopify/Return/945000959"
    assert request.order_id == "gid://shopify/Order/4783296544821"
    assert request.status == "requested"
    assert request.created_at == datetime(2026, 1, 5, 10, tzinfo=UTC)
    assert request.lines == (ReturnLine(487817672276298554, 2, "size_too_small", "Too small"),)
    assert request.exchange  # the customer chose an item in exchange


def test_a_return_shopify_does_not_know_is_an_error(client: ShopifyClient, api: Any) -> None:
    api.post(ENDPOINT, json=answer({"return": None}))

    with pytest.raises(ShopifyError, match="no return gid://shopify/Return/7"):
        client.fetch_return("gid://shopify/Return/7")


def _order_node(line_items: list[dict[str, Any]], has_next_page: bool = False) -> dict[str, Any]:
    return {
        "id": "gid://shopify/Order/820982911946154508",
        "name": "#9999",
        "currencyCode": "USD",
        "createdAt": "2026-01-02T09:30:00-05:00",
        "updatedAt": "2026-01-06T16:00:00-05:00",
        "processedAt": "2026-01-02T09:30:00-05:00",
        "cancelledAt": None,
        "tags": ["vip", "wholesale"],
        "note": None,
        "shippingAddress": {"countryCodeV2": "FR"},
        "discountApplications": {
            "nodes": [
                {
                    "__typename": "DiscountCodeApplication",
                    "index": 0,
                    "allocationMethod": "ACROSS",
                    "targetType": "LINE_ITEM",
                    "value": {"percentage": 20.0},
                    "code": "SUMMER20",
                }
            ]
        },
        "shippingLines": {
            "nodes": [
                {
                    "title": "Colissimo",
                    "code": "COL",
                    "source": "shopify",
                    "originalPriceSet": {"shopMoney": {"amount": "7.90"}},
                    "discountedPriceSet": {"shopMoney": {"amount": "7.90"}},
                    "discountAllocations": [],
                }
            ]
        },
        "fulfillments": [
            {
                "id": "gid://shopify/Fulfillment/255858046",
                "status": "SUCCESS",
                "displayStatus": "DELIVERED",
                "createdAt": "2026-01-03T11:00:00-05:00",
                "updatedAt": "2026-01-06T16:00:00-05:00",
                "deliveredAt": "2026-01-06T15:58:00-05:00",
                "fulfillmentLineItems": {
                    "pageInfo": {"hasNextPage": False},
                    "nodes": [{"lineItem": {"id": "gid://shopify/LineItem/1"}, "quantity": 2}],
                },
            },
            {
                "id": "gid://shopify/Fulfillment/255858047",
                "status": "SUCCESS",
                "displayStatus": "MARKED_AS_FULFILLED",
                "createdAt": "2026-01-03T11:00:00-05:00",
                "updatedAt": "2026-01-03T11:00:00-05:00",
                "deliveredAt": None,
                "fulfillmentLineItems": {
                    "pageInfo": {"hasNextPage": True},
                    "nodes": [{"lineItem": {"id": "gid://shopify/LineItem/2"}, "quantity": 1}],
                },
            },
        ],
        "taxesIncluded": False,
        "customAttributes": [{"key": "gift_message", "value": "Happy birthday"}],
        "refunds": [
            {
                "refundLineItems": {"nodes": [{"lineItem": {"id": "gid://shopify/LineItem/2"}, "quantity": 1}]},
            }
        ],
        "lineItems": {"pageInfo": {"hasNextPage": has_next_page, "endCursor": "c1"}, "nodes": line_items},
    }


def _line_item(line_id: int, discount: str | None = None) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{line_id}",
        "name": "Bracelet",
        "sku": "BR-1",
        "quantity": 2,
        "currentQuantity": 2,
        "requiresShipping": True,
        "isGiftCard": False,
        "originalUnitPriceSet": {"shopMoney": {"amount": "24.50"}},
        "variant": {"id": "gid://shopify/ProductVariant/642667041472713922"},
        "product": {"id": "gid://shopify/Product/788032119674292922"},
        "discountAllocations": [
            {"allocatedAmountSet": {"shopMoney": {"amount": discount}}, "discountApplication": {"index": 0}}
        ]
        if discount
        else [],
        "taxLines": [{"priceSet": {"shopMoney": {"amount": "3.92"}}}],
    }


def test_an_order_is_read_in_shopifys_rest_shape(client: ShopifyClient, api: Any) -> None:
    api.post(ENDPOINT, json=answer({"order": _order_node([_line_item(1, "4.90"), _line_item(2, "4.90")])}))

    order = client.fetch_order("gid://shopify/Order/820982911946154508")

    assert order["id"] == 820982911946154508
    assert (order["name"], order["currency"], order["tags"]) == ("#9999", "USD", "vip, wholesale")
    assert order["shipping_address"] == {"country_code": "FR"}
    assert order["line_items"][0] == {
        "id": 1,
        "admin_graphql_api_id": "gid://shopify/LineItem/1",
        "name": "Bracelet",
        "sku": "BR-1",
        "product_id": 788032119674292922,
        "variant_id": 642667041472713922,
        "quantity": 2,
        "current_quantity": 2,
        "price": "24.50",
        "requires_shipping": True,
        "gift_card": False,
        "discount_allocations": [{"amount": "4.90", "discount_application_index": 0}],
        "tax_lines": [{"price": "3.92"}],
    }
    assert order["discount_applications"] == [
        {
            "type": "discount_code",
            "value": "20.0",
            "value_type": "percentage",
            "allocation_method": "across",
            "target_type": "line_item",
            "code": "SUMMER20",
        }
    ]
    assert order["discount_codes"] == [{"code": "SUMMER20", "amount": "9.80", "type": "percentage"}]
    assert order["shipping_lines"][0]["price"] == "7.90"
    assert [f["shipment_status"] for f in order["fulfillments"]] == ["delivered", None]
    assert order["fulfillments"][0]["delivered_at"] == "2026-01-06T15:58:00-05:00"
    assert order["fulfillments"][0]["line_items"] == [{"id": 1, "quantity": 2}]
    assert "line_items" not in order["fulfillments"][1]  # only part of its lines came back: which it holds is unknown
    assert (order["taxes_included"], order["note_attributes"]) == (
        False,
        [{"name": "gift_message", "value": "Happy birthday"}],
    )
    assert order["refunds"] == [
        {
            "refund_line_items": [{"line_item_id": 2, "quantity": 1}],
        }
    ]


def test_an_order_with_many_lines_is_read_page_by_page(client: ShopifyClient, api: Any) -> None:
    api.post(ENDPOINT, json=answer({"order": _order_node([_line_item(1)], has_next_page=True)}))
    next_page = {"pageInfo": {"hasNextPage": False, "endCursor": "c2"}, "nodes": [_line_item(2)]}
    api.post(ENDPOINT, json=answer({"order": {"lineItems": next_page}}))

    order = client.fetch_order("820982911946154508")

    assert [line["id"] for line in order["line_items"]] == [1, 2]
    assert sent(api, 1)["variables"] == {"id": "gid://shopify/Order/820982911946154508", "after": "c1"}


def test_product_facts_come_back_by_numeric_product_id_in_one_query(client: ShopifyClient, api: Any) -> None:
    nodes = [
        {"id": "gid://shopify/Product/11", "productType": "Swimwear", "tags": ["final-sale"]},
        None,
        {"id": "gid://shopify/Product/13", "productType": "", "tags": []},
    ]
    api.post(ENDPOINT, json=answer({"nodes": nodes}))

    facts = client.fetch_product_facts([11, "gid://shopify/Product/12", 13, 11])

    assert facts == {
        11: {"product_type": "Swimwear", "tags": ["final-sale"]},
        13: {"product_type": "", "tags": []},
    }
    assert len(api.calls) == 1
    assert sent(api)["variables"]["ids"] == [
        "gid://shopify/Product/11",
        "gid://shopify/Product/12",
        "gid://shopify/Product/13",
    ]


def test_fulfillment_orders_come_back_with_their_location_and_remaining_lines(client: ShopifyClient, api: Any) -> None:
    node = {
        "id": "gid://shopify/FulfillmentOrder/1",
        "status": "OPEN",
        "assignedLocation": {"location": {"id": "gid://shopify/Location/55"}},
        "lineItems": {
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentOrderLineItem/7",
                    "remainingQuantity": 3,
                    "lineItem": {"id": "gid://shopify/LineItem/70"},
                    "variant": {"id": "gid://shopify/ProductVariant/700"},
                }
            ]
        },
    }
    connection = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [node]}
    api.post(ENDPOINT, json=answer({"order": {"fulfillmentOrders": connection}}))

    assert client.fetch_fulfillment_orders("gid://shopify/Order/9") == [
        FulfillmentOrder(
            id="gid://shopify/FulfillmentOrder/1",
            status="open",
            location_id=55,
            lines=(FulfillmentOrderLine("gid://shopify/FulfillmentOrderLineItem/7", 70, 700, 3),),
        )
    ]


def test_inventory_is_available_units_per_variant_per_wanted_location(client: ShopifyClient, api: Any) -> None:
    def level(location: int, available: int) -> dict[str, Any]:
        return {
            "location": {"id": f"gid://shopify/Location/{location}"},
            "quantities": [{"name": "available", "quantity": available}],
        }

    node = {
        "id": "gid://shopify/ProductVariant/700",
        "inventoryItem": {"inventoryLevels": {"nodes": [level(1, 4), level(2, 0), level(3, 9)]}},
    }
    api.post(ENDPOINT, json=answer({"nodes": [node]}))

    assert client.fetch_inventory([700], location_ids=[1, "gid://shopify/Location/2"]) == {700: {1: 4, 2: 0}}


def test_webhook_subscriptions_are_listed_by_topic(client: ShopifyClient, api: Any) -> None:
    nodes = [{"id": "gid://shopify/WebhookSubscription/1", "topic": "RETURNS_REQUEST", "uri": "https://x.example/h"}]
    connection = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}
    api.post(ENDPOINT, json=answer({"webhookSubscriptions": connection}))

    assert client.fetch_webhook_subscriptions() == ["RETURNS_REQUEST"]


# Mutations


def test_approving_a_return_sends_its_id(client: ShopifyClient, api: Any) -> None:
    payload = {"return": {"id": "gid://shopify/Return/5", "status": "OPEN"}, "userErrors": []}
    api.post(ENDPOINT, json=answer({"returnApproveRequest": payload}))

    client.approve_return("gid://shopify/Return/5")

    assert sent(api)["variables"] == {"input": {"id": "gid://shopify/Return/5"}}


def test_approving_a_return_twice_is_accepted_when_it_is_already_open(client: ShopifyClient, api: Any) -> None:
    refusal = {"field": ["id"], "message": "Return is not approvable.", "code": "INVALID_STATE"}
    api.post(ENDPOINT, json=answer({"returnApproveRequest": {"return": None, "userErrors": [refusal]}}))
    api.post(ENDPOINT, json=answer({"return": {"id": "gid://shopify/Return/5", "status": "OPEN"}}))

    client.approve_return("gid://shopify/Return/5")


def test_approving_a_declined_return_is_refused(client: ShopifyClient, api: Any) -> None:
    refusal = {"field": ["id"], "message": "Return is not approvable.", "code": "INVALID_STATE"}
    api.post(ENDPOINT, json=answer({"returnApproveRequest": {"return": None, "userErrors": [refusal]}}))
    api.post(ENDPOINT, json=answer({"return": {"id": "gid://shopify/Return/5", "status": "DECLINED"}}))

    with pytest.raises(ShopifyUserError, match="Return is not approvable"):
        client.approve_return("gid://shopify/Return/5")


def test_declining_a_return_sends_shopifys_reason_and_the_note(client: ShopifyClient, api: Any) -> None:
    payload = {"return": {"id": "gid://shopify/Return/5", "status": "DECLINED"}, "userErrors": []}
    api.post(ENDPOINT, json=answer({"returnDeclineRequest": payload}))

    client.decline_return("5", "final_sale", "Swimwear cannot be returned.")

    assert sent(api)["variables"]["input"] == {
        "id": "gid://shopify/Return/5",
        "declineReason": "FINAL_SALE",
        "declineNote": "Swimwear cannot be returned.",
    }


def test_moving_some_lines_sends_them_with_quantities_and_returns_the_moved_order(
    client: ShopifyClient, api: Any
) -> None:
    payload = {
        "movedFulfillmentOrder": {
            "id": "gid://shopify/FulfillmentOrder/2",
            "status": "OPEN",
            "assignedLocation": {"location": {"id": "gid://shopify/Location/66"}},
        },
        "originalFulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/1", "status": "OPEN"},
        "userErrors": [],
    }
    api.post(ENDPOINT, json=answer({"fulfillmentOrderMove": payload}))

    moved = client.move_fulfillment_order("gid://shopify/FulfillmentOrder/1", 66, {"7": 1})

    assert moved == "gid://shopify/FulfillmentOrder/2"
    assert sent(api)["variables"] == {
        "id": "gid://shopify/FulfillmentOrder/1",
        "newLocationId": "gid://shopify/Location/66",
        "lines": [{"id": "gid://shopify/FulfillmentOrderLineItem/7", "quantity": 1}],
    }


def test_a_move_refused_because_the_order_is_already_there_counts_as_done(client: ShopifyClient, api: Any) -> None:
    refusal = {"field": ["id"], "message": "Already assigned to this location.", "code": None}
    payload = {"movedFulfillmentOrder": None, "originalFulfillmentOrder": None, "userErrors": [refusal]}
    api.post(ENDPOINT, json=answer({"fulfillmentOrderMove": payload}))
    node = {
        "id": "gid://shopify/FulfillmentOrder/1",
        "status": "OPEN",
        "assignedLocation": {"location": {"id": "gid://shopify/Location/66"}},
    }
    api.post(ENDPOINT, json=answer({"fulfillmentOrder": node}))

    assert client.move_fulfillment_order("1", "gid://shopify/Location/66") == "gid://shopify/FulfillmentOrder/1"


def test_splitting_returns_the_new_fulfillment_order_holding_the_split_lines(client: ShopifyClient, api: Any) -> None:
    result = {
        "fulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/1", "status": "OPEN"},
        "remainingFulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/2", "status": "OPEN"},
        "replacementFulfillmentOrder": None,
    }
    api.post(ENDPOINT, json=answer({"fulfillmentOrderSplit": {"fulfillmentOrderSplits": [result], "userErrors": []}}))

    assert client.split_fulfillment_order("1", {"gid://shopify/FulfillmentOrderLineItem/7": 2}) == (
        "gid://shopify/FulfillmentOrder/2"
    )
    assert sent(api)["variables"]["splits"] == [
        {
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
            "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/7", "quantity": 2}],
        }
    ]


def test_a_hold_is_named_so_that_placing_it_again_is_recognised_as_done(client: ShopifyClient, api: Any) -> None:
    refusal = {"field": ["id"], "message": "Handle in use.", "code": "DUPLICATE_FULFILLMENT_HOLD_HANDLE"}
    payload = {"fulfillmentHold": None, "fulfillmentOrder": None, "remainingFulfillmentOrder": None}
    api.post(ENDPOINT, json=answer({"fulfillmentOrderHold": {**payload, "userErrors": [refusal]}}))

    assert client.hold_fulfillment_order("1", note="Waiting for stock") is None
    assert sent(api)["variables"]["hold"] == {
        "reason": "INVENTORY_OUT_OF_STOCK",
        "handle": "shopworker-inventory_out_of_stock",
        "reasonNotes": "Waiting for stock",
    }


def test_holding_some_lines_returns_the_fulfillment_order_left_free(client: ShopifyClient, api: Any) -> None:
    payload = {
        "fulfillmentHold": {"id": "gid://shopify/FulfillmentHold/1", "handle": "h", "reason": "OTHER"},
        "fulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/1", "status": "ON_HOLD"},
        "remainingFulfillmentOrder": {"id": "gid://shopify/FulfillmentOrder/3", "status": "OPEN"},
        "userErrors": [],
    }
    api.post(ENDPOINT, json=answer({"fulfillmentOrderHold": payload}))

    assert client.hold_fulfillment_order("1", "other", lines={"7": 1}, handle="h") == "gid://shopify/FulfillmentOrder/3"


def test_tags_are_sent_once_each(client: ShopifyClient, api: Any) -> None:
    api.post(ENDPOINT, json=answer({"tagsAdd": {"node": {"id": "gid://shopify/Order/1"}, "userErrors": []}}))

    client.add_tags("gid://shopify/Order/1", ["late", "customs", "late"])

    assert sent(api)["variables"] == {"id": "gid://shopify/Order/1", "tags": ["customs", "late"]}


def test_the_order_note_is_set_through_order_update(client: ShopifyClient, api: Any) -> None:
    payload = {"order": {"id": "gid://shopify/Order/1", "note": "Refund 50 %"}, "userErrors": []}
    api.post(ENDPOINT, json=answer({"orderUpdate": payload}))

    client.set_order_note("1", "Refund 50 %")

    assert sent(api)["variables"] == {"input": {"id": "gid://shopify/Order/1", "note": "Refund 50 %"}}


def test_a_decline_note_longer_than_shopify_accepts_is_cut_to_500_characters(client: ShopifyClient, api: Any) -> None:
    payload = {"return": {"id": "gid://shopify/Return/5", "status": "DECLINED"}, "userErrors": []}
    api.post(ENDPOINT, json=answer({"returnDeclineRequest": payload}))

    client.decline_return("5", "other", "x" * 700)

    assert len(sent(api)["variables"]["input"]["declineNote"]) == 500


# Processing a return


def _for_processing(
    processed: int = 0, payments: tuple[str, ...] = ("40.00", "30.00"), exchangeable: int | None = None
) -> dict[str, Any]:
    return {
        "return": {
            "id": "gid://shopify/Return/945000959",
            "status": "OPEN",
            "order": {
                "id": "gid://shopify/Order/1",
                "transactions": [
                    {"id": "gid://shopify/OrderTransaction/9", "kind": "AUTHORIZATION", "status": "SUCCESS",
                     "gateway": "shopify_payments", "amountSet": _usd("70.00")},
                ] + [
                    {"id": f"gid://shopify/OrderTransaction/{n}", "kind": "SALE", "status": "SUCCESS",
                     "gateway": "gift_card" if n == 1 else "shopify_payments", "amountSet": _usd(amount)}
                    for n, amount in enumerate(payments, start=1)
                ],
            },
            "returnLineItems": {
                "nodes": [
                    {"id": "gid://shopify/ReturnLineItem/5", "quantity": 2, "processedQuantity": processed,
                     "fulfillmentLineItem": {"lineItem": {"id": "gid://shopify/LineItem/31001"}}},
                ]
            },
            "exchangeLineItems": {
                "nodes": [] if exchangeable is None else [
                    {"id": "gid://shopify/ExchangeLineItem/7", "processableQuantity": exchangeable}
                ]
            },
        }
    }  # fmt: skip


def _usd(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "USD"}}


CLOSED = {"id": "gid://shopify/Return/945000959", "status": "CLOSED"}
PROCESSED = {"returnProcess": {"return": CLOSED, "userErrors": []}}


def test_a_refund_is_taken_from_the_orders_sales_in_turn_with_store_credit_and_shipping_named(
    client: ShopifyClient, api: Any
) -> None:
    api.post(ENDPOINT, json=answer(_for_processing()))
    api.post(ENDPOINT, json=answer(PROCESSED))
    refund = RefundToProcess("USD", {31001: 2}, to_payment="55.00", store_credit="10.00", shipping="5.00")

    done = client.process_return("945000959", refund)

    process = sent(api)["variables"]["input"]
    assert process["returnLineItems"] == [{"id": "gid://shopify/ReturnLineItem/5", "quantity": 2}]
    assert process["financialTransfer"]["issueRefund"] == {
        "orderTransactions": [
            {"parentId": "gid://shopify/OrderTransaction/1", "transactionAmount": _usd("40.00")["shopMoney"]},
            {"parentId": "gid://shopify/OrderTransaction/2", "transactionAmount": _usd("15.00")["shopMoney"]},
        ],
        "refundMethods": [{"storeCreditRefund": {"amount": {"amount": "10.00", "currencyCode": "USD"}}}],
    }  # fmt: skip
    assert process["refundShipping"] == {"shippingRefundAmount": {"amount": "5.00", "currencyCode": "USD"}}
    assert done["already_processed"] is False


def test_a_return_whose_units_shopify_has_processed_already_is_not_processed_again(
    client: ShopifyClient, api: Any
) -> None:
    api.post(ENDPOINT, json=answer(_for_processing(processed=2)))

    done = client.process_return("945000959", RefundToProcess("USD", {31001: 2}, "60.00", "0", "0"))

    assert (len(api.calls), done["already_processed"]) == (1, True)


def test_an_exchange_sends_the_items_the_customer_chose_and_once_they_are_processed_nothing(
    client: ShopifyClient, api: Any
) -> None:
    api.post(ENDPOINT, json=answer(_for_processing(exchangeable=1)))
    api.post(ENDPOINT, json=answer(PROCESSED))
    api.post(ENDPOINT, json=answer(_for_processing(processed=2, exchangeable=0)))
    exchange = RefundToProcess("USD", {31001: 2}, "0.00", "0.00", "0.00", exchange=True)

    done = client.process_return("945000959", exchange)
    again = client.process_return("945000959", exchange)

    process = sent(api, 1)["variables"]["input"]
    assert process["exchangeLineItems"] == [{"id": "gid://shopify/ExchangeLineItem/7", "quantity": 1}]
    assert process["returnLineItems"] == [{"id": "gid://shopify/ReturnLineItem/5", "quantity": 2}]
    assert "financialTransfer" not in process
    assert (len(api.calls), done["already_processed"], again["already_processed"]) == (3, False, True)


def test_a_refused_refund_raises_shopifys_words_when_the_units_are_still_unprocessed(
    client: ShopifyClient, api: Any
) -> None:
    refusal = {
        "field": ["input"],
        "message": "Refund amount 500.00 exceeds the refundable amount 70.00.",
        "code": "INVALID",
    }
    api.post(ENDPOINT, json=answer(_for_processing()))
    api.post(ENDPOINT, json=answer({"returnProcess": {"return": None, "userErrors": [refusal]}}))
    api.post(ENDPOINT, json=answer(_for_processing()))

    with pytest.raises(ShopifyUserError, match="exceeds the refundable amount"):
        client.process_return("945000959", RefundToProcess("USD", {31001: 2}, "500.00", "0", "0"))

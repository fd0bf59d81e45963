"""The Shopify adapter over real HTTP against the fake Admin API: reads, state changes, recovery from faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.fakeshopify import FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.fakeshopify.costs import CostBucket
from tests.fakeshopify.orders import (
    EXAMPLE_ORDER_ID,
    SUNGLASSES_LINE_ID,
    SUNGLASSES_VARIANT_ID,
    SWIMSUIT_LINE_ID,
    SWIMSUIT_PRODUCT_ID,
    SWIMSUIT_VARIANT_ID,
)
from worker.adapters.shopify import (
    ReturnLine,
    ShopifyClient,
    ShopifyError,
    ShopifyUserError,
    documents,
    legacy_id,
)

US_WAREHOUSE = 111
CHINA_WAREHOUSE = 222
EU_WAREHOUSE = 333  # stocks nothing of the example order


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    shop = FakeShop()
    shop.add_order(example_order(), location_id=US_WAREHOUSE)
    shop.add_product(SWIMSUIT_PRODUCT_ID, "Swimwear", ["final-sale"])
    shop.set_inventory(SWIMSUIT_VARIANT_ID, US_WAREHOUSE, 0)
    shop.set_inventory(SWIMSUIT_VARIANT_ID, CHINA_WAREHOUSE, 12)
    shop.set_inventory(SUNGLASSES_VARIANT_ID, CHINA_WAREHOUSE, 3)
    with serve_fake_shop(shop) as running:
        yield running


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: RunningFakeShop, waits: list[float]) -> ShopifyClient:
    def wait(seconds: float) -> None:  # recorded, and lived through by the fake shop's cost bucket
        waits.append(seconds)
        fake.state.pass_time(seconds)

    return ShopifyClient(fake.shop_domain, fake.access_token, fake.api_version, base_url=fake.base_url, sleep=wait)


ORDER_GID = f"gid://shopify/Order/{EXAMPLE_ORDER_ID}"


def test_a_return_and_its_order_are_read_from_the_shop(fake: RunningFakeShop, client: ShopifyClient) -> None:
    return_gid = fake.state.add_return(EXAMPLE_ORDER_ID, [(SWIMSUIT_LINE_ID, 1, "defective", "Seam split")])

    request = client.fetch_return(return_gid)
    order = client.fetch_order(request.order_id)

    assert request.lines == (ReturnLine(SWIMSUIT_LINE_ID, 1, "defective", "Seam split"),)
    assert order["id"] == EXAMPLE_ORDER_ID
    swimsuit = next(line for line in order["line_items"] if line["id"] == SWIMSUIT_LINE_ID)
    assert (swimsuit["product_id"], swimsuit["price"], swimsuit["quantity"]) == (SWIMSUIT_PRODUCT_ID, "20.00", 2)
    assert order["discount_codes"] == example_order()["discount_codes"]
    assert order["fulfillments"][0]["shipment_status"] == "delivered"
    assert client.fetch_product_facts([SWIMSUIT_PRODUCT_ID]) == {
        SWIMSUIT_PRODUCT_ID: {"product_type": "Swimwear", "tags": ["final-sale"]}
    }


def test_an_order_of_more_lines_than_one_page_is_read_whole(fake: RunningFakeShop, client: ShopifyClient) -> None:
    many = [dict(example_order()["line_items"][0], id=1000 + n) for n in range(120)]
    fake.state.add_order(example_order(id=42, line_items=many), location_id=US_WAREHOUSE)

    order = client.fetch_order("gid://shopify/Order/42")

    assert [line["id"] for line in order["line_items"]] == [1000 + n for n in range(120)]
    assert fake.state.received.count("FetchOrderLineItems") == 2


def test_approving_opens_the_return_and_a_second_approval_changes_nothing(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    return_gid = fake.state.add_return(EXAMPLE_ORDER_ID, [(SWIMSUIT_LINE_ID, 1, "size_too_small")])

    client.approve_return(return_gid)
    client.approve_return(return_gid)

    assert client.fetch_return(return_gid).status == "open"


def test_declining_records_the_reason_and_the_note(fake: RunningFakeShop, client: ShopifyClient) -> None:
    return_gid = fake.state.add_return(EXAMPLE_ORDER_ID, [(SWIMSUIT_LINE_ID, 1, "style")])

    client.decline_return(return_gid, "final_sale", "Swimwear is final sale.")

    declined = next(iter(fake.state.returns.values()))
    assert declined.status == "DECLINED"
    assert declined.decline == {"reason": "FINAL_SALE", "note": "Swimwear is final sale."}


def test_moving_a_whole_fulfillment_order_changes_its_location(fake: RunningFakeShop, client: ShopifyClient) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)

    moved = client.move_fulfillment_order(original.id, CHINA_WAREHOUSE)
    again = client.move_fulfillment_order(original.id, CHINA_WAREHOUSE)

    [after] = client.fetch_fulfillment_orders(ORDER_GID)
    assert moved == again == original.id
    assert after.location_id == CHINA_WAREHOUSE


def test_splitting_puts_the_split_units_in_a_new_fulfillment_order(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    swimsuit = next(line for line in original.lines if line.line_item_id == SWIMSUIT_LINE_ID)

    new_gid = client.split_fulfillment_order(original.id, {swimsuit.id: 1})
    client.move_fulfillment_order(new_gid, CHINA_WAREHOUSE)

    by_id = {fo.id: fo for fo in client.fetch_fulfillment_orders(ORDER_GID)}
    assert {(line.line_item_id, line.remaining_quantity) for line in by_id[original.id].lines} == {
        (SUNGLASSES_LINE_ID, 1),
        (SWIMSUIT_LINE_ID, 1),
    }
    assert [(line.line_item_id, line.remaining_quantity) for line in by_id[new_gid].lines] == [(SWIMSUIT_LINE_ID, 1)]
    assert by_id[new_gid].location_id == CHINA_WAREHOUSE


def test_moving_onto_a_location_with_an_open_fulfillment_order_of_the_order_closes_it_and_recreates_its_lines(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    swimsuit = next(line for line in original.lines if line.line_item_id == SWIMSUIT_LINE_ID)
    sunglasses = next(line for line in original.lines if line.line_item_id == SUNGLASSES_LINE_ID)
    in_china = client.move_fulfillment_order(original.id, CHINA_WAREHOUSE, {swimsuit.id: 1})

    recreated = client.move_fulfillment_order(original.id, CHINA_WAREHOUSE, {swimsuit.id: 1, sunglasses.id: 1})

    by_id = {fo.id: fo for fo in client.fetch_fulfillment_orders(ORDER_GID)}
    assert recreated not in (original.id, in_china)
    assert by_id[in_china].status == "closed"
    assert by_id[original.id].status == "closed"
    assert by_id[recreated].status == "open"
    assert by_id[recreated].location_id == CHINA_WAREHOUSE
    assert sorted((line.line_item_id, line.remaining_quantity) for line in by_id[recreated].lines) == [
        (SUNGLASSES_LINE_ID, 1),
        (SWIMSUIT_LINE_ID, 2),
    ]


def test_a_move_to_a_location_that_does_not_stock_the_items_is_refused(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)

    with pytest.raises(ShopifyUserError, match="does not stock the requested inventory items"):
        client.move_fulfillment_order(original.id, EU_WAREHOUSE)

    [unchanged] = client.fetch_fulfillment_orders(ORDER_GID)
    assert (unchanged.location_id, unchanged.status) == (US_WAREHOUSE, "open")


def test_a_move_after_progress_was_reported_is_refused_with_shopifys_code(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    fake.state.report_progress(legacy_id(original.id))

    with pytest.raises(ShopifyUserError) as refused:
        client.move_fulfillment_order(original.id, CHINA_WAREHOUSE)

    assert refused.value.codes == {"CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS"}
    [unchanged] = client.fetch_fulfillment_orders(ORDER_GID)
    assert unchanged.location_id == US_WAREHOUSE


def test_a_fulfillment_order_a_fulfillment_service_accepted_cannot_be_moved_and_is_replaced_when_split(
    fake: RunningFakeShop, client: ShopifyClient
) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    swimsuit = next(line for line in original.lines if line.line_item_id == SWIMSUIT_LINE_ID)
    fake.state.submit_to_fulfillment_service(legacy_id(original.id))

    with pytest.raises(ShopifyUserError, match="awaiting action by a fulfillment service"):
        client.move_fulfillment_order(original.id, CHINA_WAREHOUSE)
    split_off = client.split_fulfillment_order(original.id, {swimsuit.id: 1})

    after = client.fetch_fulfillment_orders(ORDER_GID)
    by_id = {fo.id: fo for fo in after}
    [replacement] = [fo for fo in after if fo.id not in (original.id, split_off)]
    assert by_id[original.id].status == "closed"
    assert [(line.line_item_id, line.remaining_quantity) for line in by_id[split_off].lines] == [(SWIMSUIT_LINE_ID, 1)]
    assert replacement.status == "open"
    assert sorted((line.line_item_id, line.remaining_quantity) for line in replacement.lines) == [
        (SUNGLASSES_LINE_ID, 1),
        (SWIMSUIT_LINE_ID, 1),
    ]
    assert len(fake.state.mutations_named("SplitFulfillmentOrder")) == 1


def test_an_app_places_at_most_ten_holds_on_a_fulfillment_order(fake: RunningFakeShop, client: ShopifyClient) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    for number in range(10):
        client.hold_fulfillment_order(original.id, handle=f"hold-{number}")

    with pytest.raises(ShopifyUserError) as refused:
        client.hold_fulfillment_order(original.id, handle="hold-10")

    assert refused.value.codes == {"FULFILLMENT_ORDER_HOLD_LIMIT_REACHED"}
    assert len(fake.state.fulfillment_orders[legacy_id(original.id)].holds) == 10


def test_holding_puts_the_fulfillment_order_on_hold_once(fake: RunningFakeShop, client: ShopifyClient) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)

    client.hold_fulfillment_order(original.id, note="Swimsuit out of stock")
    client.hold_fulfillment_order(original.id, note="Swimsuit out of stock")

    [held] = client.fetch_fulfillment_orders(ORDER_GID)
    assert held.status == "on_hold"
    assert len(fake.state.fulfillment_orders[int(original.id.rsplit("/", 1)[1])].holds) == 1


def test_holding_some_lines_leaves_the_others_free_to_ship(fake: RunningFakeShop, client: ShopifyClient) -> None:
    [original] = client.fetch_fulfillment_orders(ORDER_GID)
    swimsuit = next(line for line in original.lines if line.line_item_id == SWIMSUIT_LINE_ID)

    free_gid = client.hold_fulfillment_order(original.id, lines={swimsuit.id: 2})

    by_id = {fo.id: fo for fo in client.fetch_fulfillment_orders(ORDER_GID)}
    assert by_id[original.id].status == "on_hold"
    assert [line.line_item_id for line in by_id[original.id].lines] == [SWIMSUIT_LINE_ID]
    assert free_gid is not None
    assert by_id[free_gid].status == "open"
    assert [line.line_item_id for line in by_id[free_gid].lines] == [SUNGLASSES_LINE_ID]


def test_tags_accumulate_without_duplicates_and_the_note_is_set(fake: RunningFakeShop, client: ShopifyClient) -> None:
    client.add_tags(ORDER_GID, ["late-delivery"])
    client.add_tags(ORDER_GID, ["late-delivery", "vip", "customs"])
    client.set_order_note(ORDER_GID, "Parcel possibly held at customs.")

    order = client.fetch_order(ORDER_GID)
    assert order["tags"] == "vip, late-delivery, customs"
    assert order["note"] == "Parcel possibly held at customs."


def test_inventory_is_read_per_variant_and_location(client: ShopifyClient) -> None:
    assert client.fetch_inventory([SWIMSUIT_VARIANT_ID]) == {
        SWIMSUIT_VARIANT_ID: {US_WAREHOUSE: 0, CHINA_WAREHOUSE: 12}
    }


@pytest.mark.parametrize("fault", ["429", "throttled", "500"])
def test_the_adapter_recovers_when_shopify_pushes_back(
    fake: RunningFakeShop, client: ShopifyClient, waits: list[float], fault: str
) -> None:
    fake.state.inject(fault, count=2)

    assert client.fetch_product_facts([SWIMSUIT_PRODUCT_ID])[SWIMSUIT_PRODUCT_ID]["product_type"] == "Swimwear"
    assert fake.state.received == ["FetchProductFacts"] * 3
    assert len(waits) == 2


def test_a_wrong_access_token_is_reported_not_retried(fake: RunningFakeShop) -> None:
    client = ShopifyClient(fake.shop_domain, "shpat_wrong", fake.api_version, base_url=fake.base_url)

    with pytest.raises(ShopifyError, match="HTTP 401"):
        client.fetch_order(ORDER_GID)
    assert fake.state.received == ["FetchOrder"]


def test_a_shop_that_keeps_failing_gives_up_with_a_readable_error(fake: RunningFakeShop, waits: list[float]) -> None:
    client = ShopifyClient(
        fake.shop_domain,
        fake.access_token,
        fake.api_version,
        base_url=fake.base_url,
        sleep=waits.append,
        max_attempts=3,
    )
    fake.state.inject("500", count=3)

    with pytest.raises(ShopifyError, match="FetchOrder failed after 3 attempts: HTTP 500"):
        client.fetch_order(ORDER_GID)
    assert fake.state.mutations == []


def test_each_answer_reports_the_requested_and_actual_cost_and_the_bucket_after_the_refund(
    fake: RunningFakeShop,
) -> None:
    body = {"query": documents.ORDERS_UPDATED_SINCE, "variables": {"query": "updated_at:>'2026-01-01T00:00:00Z'"}}
    headers = {"X-Shopify-Access-Token": fake.access_token}

    answer = requests.post(f"{fake.base_url}/admin/api/2026-04/graphql.json", json=body, headers=headers).json()

    # 2 + 25 orders x (1 + 10 fulfillments + 2 + 5 returns) requested; one order with one fulfillment came back
    cost = answer["extensions"]["cost"]
    assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (452, 2 + (1 + 1 + 2))
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0
    assert cost["throttleStatus"]["currentlyAvailable"] == pytest.approx(2000 - 6, abs=1)


def test_a_query_the_bucket_cannot_pay_for_waits_exactly_until_it_can(
    fake: RunningFakeShop, client: ShopifyClient, waits: list[float]
) -> None:
    # a Standard plan's bucket, whose clock moves only by the client's recorded waits
    fake.state.bucket = CostBucket(maximum=1000.0, restore_rate=50.0, clock=lambda: 0.0)
    assert fake.state.bucket.take(900.0)  # spent by the app's other work a moment ago

    client.fetch_order(ORDER_GID)

    # FetchOrder requests 984 points; 100 are left, refilling at 50 a second
    assert waits == [pytest.approx((984 - 100) / 50, abs=0.02)]
    assert fake.state.received == ["FetchOrder", "FetchOrder"]


def test_a_query_dearer_than_shopifys_single_query_limit_is_refused_not_retried(
    fake: RunningFakeShop, client: ShopifyClient, waits: list[float]
) -> None:
    dear = "query EveryLine { orders(first: 100) { nodes { lineItems(first: 100) { nodes { id } } } } }"

    # 2 + 100 orders x (1 + 2 + 100 line items)
    with pytest.raises(ShopifyError, match=r"Query cost is 10302, which exceeds the single query max cost limit"):
        client.graphql(dear)

    assert fake.state.received == ["EveryLine"]
    assert waits == []

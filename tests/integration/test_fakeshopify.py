"""The Shopify adapter over real HTTP against the fake Admin API: reads, state changes, recovery from faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeshopify import FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.fakeshopify.orders import (
    EXAMPLE_ORDER_ID,
    SUNGLASSES_LINE_ID,
    SWIMSUIT_LINE_ID,
    SWIMSUIT_PRODUCT_ID,
    SWIMSUIT_VARIANT_ID,
)
from worker.adapters.shopify import ReturnLine, ShopifyClient, ShopifyError

US_WAREHOUSE = 111
CHINA_WAREHOUSE = 222


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    shop = FakeShop()
    shop.add_order(example_order(), location_id=US_WAREHOUSE)
    shop.add_product(SWIMSUIT_PRODUCT_ID, "Swimwear", ["final-sale"])
    shop.set_inventory(SWIMSUIT_VARIANT_ID, US_WAREHOUSE, 0)
    shop.set_inventory(SWIMSUIT_VARIANT_ID, CHINA_WAREHOUSE, 12)
    with serve_fake_shop(shop) as running:
        yield running


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: RunningFakeShop, waits: list[float]) -> ShopifyClient:
    return ShopifyClient(
        fake.shop_domain, fake.access_token, fake.api_version, base_url=fake.base_url, sleep=waits.append
    )


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

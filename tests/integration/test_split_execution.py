"""Applying a split plan in Shopify: each step decided on a fresh read (tests/unit/test_split_steps.py), so a run
cut short is finished, never repeated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakeshopify import FakeShop, serve_fake_shop
from tests.unit.test_split_steps import CHINA, LIGHT, PLAN, PLUSH, SCOPE, US
from worker.adapters.shopify import ShopifyClient, ShopifyError
from worker.services.split import apply_split_plan


class LostAnswer:
    """Shopify moves the fulfillment order, but its answer is lost on the way back (a timeout)."""

    def __init__(self, client: ShopifyClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def move_fulfillment_order(self, *args: Any, **kwargs: Any) -> str:
        self.client.move_fulfillment_order(*args, **kwargs)
        raise ShopifyError("Shopify could not be reached: read timed out")


@pytest.fixture
def shop() -> Iterator:
    state = FakeShop()
    order = {
        "id": 5001,
        "line_items": [{"id": LIGHT, "variant_id": 1, "quantity": 2}, {"id": PLUSH, "variant_id": 2, "quantity": 1}],
    }
    state.add_order(order, location_id=int(US))
    state.set_inventory(2, int(CHINA), 1)  # the plan ships the plush from China, which stocks it
    with serve_fake_shop(state) as running:
        yield running


def test_a_run_cut_short_after_shopify_moved_is_finished_by_the_next_run_without_moving_again(shop):
    client = ShopifyClient("fake-shop.myshopify.com", shop.access_token, "2026-04", base_url=shop.base_url)
    params = {"plan": PLAN, "locations": sorted(SCOPE), "hold_note": "Star night light x1 (only 1 in stock)"}

    with pytest.raises(ShopifyError, match="timed out"):
        apply_split_plan(LostAnswer(client), "gid://shopify/Order/5001", params)
    outcome = apply_split_plan(client, "gid://shopify/Order/5001", params)
    again = apply_split_plan(client, "gid://shopify/Order/5001", params)

    assert [step["step"] for step in outcome["steps"]] == ["hold"]
    assert (outcome["state"], again) == ("applied", {"state": "applied", "detail": "", "steps": []})
    assert len(shop.state.mutations_named("MoveFulfillmentOrder")) == 1
    assert len(shop.state.mutations_named("HoldFulfillmentOrder")) == 1
    assert sorted(
        (fo.status, fo.location_id, [(line.line_item_id, line.remaining_quantity) for line in fo.lines])
        for fo in shop.state.fulfillment_orders_of(5001)
    ) == [("ON_HOLD", int(US), [(LIGHT, 1)]), ("OPEN", int(US), [(LIGHT, 1)]), ("OPEN", int(CHINA), [(PLUSH, 1)])]


def test_a_move_whose_answer_is_lost_is_not_sent_again_and_the_run_continues_from_what_shopify_shows(shop):
    """Shopify moved the fulfillment order, then answered 502: the move is not repeated (which would split the
    fulfillment order again); the runner reads the fulfillment orders and goes on to the hold."""
    client = ShopifyClient(
        "fake-shop.myshopify.com", shop.access_token, "2026-04", base_url=shop.base_url, sleep=lambda _: None
    )
    params = {"plan": PLAN, "locations": sorted(SCOPE), "hold_note": "Star night light x1 (only 1 in stock)"}
    shop.state.inject("lost", operation="MoveFulfillmentOrder")

    outcome = apply_split_plan(client, "gid://shopify/Order/5001", params)

    assert [(step["step"], step.get("outcome")) for step in outcome["steps"]] == [
        ("move", "answer lost"),
        ("hold", None),
    ]
    assert outcome["state"] == "applied"
    assert len(shop.state.mutations_named("MoveFulfillmentOrder")) == 1
    assert sorted(
        (fo.status, fo.location_id, [(line.line_item_id, line.remaining_quantity) for line in fo.lines])
        for fo in shop.state.fulfillment_orders_of(5001)
    ) == [("ON_HOLD", int(US), [(LIGHT, 1)]), ("OPEN", int(US), [(LIGHT, 1)]), ("OPEN", int(CHINA), [(PLUSH, 1)])]

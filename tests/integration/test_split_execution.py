"""Applying a split plan in Shopify: each step decided on a fresh read, so a run cut short is finished, never
repeated, and a plan the order has outgrown is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakeshopify import FakeShop, serve_fake_shop
from worker.adapters.shopify import FulfillmentOrder, FulfillmentOrderLine, ShopifyClient, ShopifyError
from worker.domain.split.execution import Finished, Hold, Move, next_step
from worker.services.split import apply_split_plan

US, CHINA = "655441491", "655441492"
SCOPE = frozenset({US, CHINA})
LIGHT, PLUSH = 11001, 11002


def plan(shipments: dict[str, dict[int, int]], backorders: dict[int, int] | None = None) -> dict[str, Any]:
    return {
        "shipments": [
            {
                "location_id": location,
                "lines": [{"line_item_id": line, "quantity": units} for line, units in lines.items()],
            }
            for location, lines in shipments.items()
        ],
        "backorders": [{"line_item_id": line, "quantity": units} for line, units in (backorders or {}).items()],
    }


def fo(fo_id: int, location: str, lines: dict[int, int], status: str = "open") -> FulfillmentOrder:
    return FulfillmentOrder(
        id=f"gid://shopify/FulfillmentOrder/{fo_id}",
        status=status,
        location_id=int(location),
        lines=tuple(
            FulfillmentOrderLine(f"gid://shopify/FulfillmentOrderLineItem/{fo_id}{line}", line, 1, units)
            for line, units in lines.items()
        ),
    )


PLAN = plan({US: {LIGHT: 1}, CHINA: {PLUSH: 1}}, {LIGHT: 1})


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        pytest.param(
            [fo(1, US, {LIGHT: 2, PLUSH: 1})],
            Move("gid://shopify/FulfillmentOrder/1", CHINA, {"gid://shopify/FulfillmentOrderLineItem/111002": 1}),
            id="units assigned where the plan does not ship them move first",
        ),
        pytest.param(
            [fo(1, US, {LIGHT: 2}), fo(2, CHINA, {PLUSH: 1})],
            Hold("gid://shopify/FulfillmentOrder/1", {"gid://shopify/FulfillmentOrderLineItem/111001": 1}),
            id="then the units waiting for stock are held so the rest ships now",
        ),
        pytest.param(
            [fo(1, US, {LIGHT: 1}, "on_hold"), fo(3, US, {LIGHT: 1}), fo(2, CHINA, {PLUSH: 1})],
            Finished("applied"),
            id="a plan already in place needs nothing",
        ),
        pytest.param(
            [fo(1, US, {LIGHT: 3, PLUSH: 1})],
            Finished("stale", "line 11001: planned 2 units, Shopify has 3 waiting"),
            id="an order changed since planning is left alone",
        ),
        pytest.param(
            [fo(1, US, {LIGHT: 2}, "on_hold"), fo(2, CHINA, {PLUSH: 1})],
            Finished("needs_release", "units planned to ship are on hold; release the hold in Shopify to ship them"),
            id="units planned to ship but on hold wait for a person to release them",
        ),
        pytest.param(
            [fo(1, US, {LIGHT: 2, PLUSH: 1}), fo(9, "1", {PLUSH: 5})],
            Move("gid://shopify/FulfillmentOrder/1", CHINA, {"gid://shopify/FulfillmentOrderLineItem/111002": 1}),
            id="locations outside the shop's configuration are not counted or touched",
        ),
    ],
)
def test_the_next_step_toward_the_plan(assignment, expected):
    assert next_step(PLAN, SCOPE, assignment) == expected


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

"""The next step toward a split plan, decided from a fresh read of the order's fulfillment orders: units move to
where the plan ships them, then the units waiting for stock are held; an order that changed since planning is left
alone."""

from __future__ import annotations

from typing import Any

import pytest

from worker.domain.split.execution import (
    Finished,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Hold,
    Move,
    next_step,
    step_limit,
)

US, CHINA, FRANCE = "655441491", "655441492", "655441493"
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
def test_the_next_step_toward_the_plan(assignment: list[FulfillmentOrder], expected: object) -> None:
    assert next_step(PLAN, SCOPE, assignment) == expected


def fo_line(fo_id: int, line: int) -> str:
    return f"gid://shopify/FulfillmentOrderLineItem/{fo_id}{line}"


def test_a_move_sends_every_line_the_destination_is_short_of_in_one_step() -> None:
    both = plan({CHINA: {LIGHT: 2, PLUSH: 1}})

    step = next_step(both, SCOPE, [fo(1, US, {LIGHT: 2, PLUSH: 1})])

    assert step == Move("gid://shopify/FulfillmentOrder/1", CHINA, {fo_line(1, LIGHT): 2, fo_line(1, PLUSH): 1})


def test_a_move_sends_no_more_than_the_destination_lacks() -> None:
    split = plan({US: {LIGHT: 2}, CHINA: {LIGHT: 1}})

    step = next_step(split, SCOPE, [fo(1, US, {LIGHT: 3})])

    assert step == Move("gid://shopify/FulfillmentOrder/1", CHINA, {fo_line(1, LIGHT): 1})


def test_moves_take_the_oldest_fulfillment_order_first_and_destinations_in_order() -> None:
    scope = frozenset({US, CHINA, FRANCE})
    spread = plan({CHINA: {LIGHT: 2}, FRANCE: {PLUSH: 1}})
    # Fulfillment order 9 is older than 10, though "10" sorts first as text.
    orders = [fo(10, US, {LIGHT: 1}), fo(9, US, {PLUSH: 1, LIGHT: 1})]

    step = next_step(spread, scope, orders)

    assert step == Move("gid://shopify/FulfillmentOrder/9", CHINA, {fo_line(9, LIGHT): 1})
    after = [fo(10, US, {LIGHT: 1}), fo(9, US, {PLUSH: 1}), fo(11, CHINA, {LIGHT: 1})]
    assert next_step(spread, scope, after) == Move("gid://shopify/FulfillmentOrder/9", FRANCE, {fo_line(9, PLUSH): 1})


def test_units_already_held_count_toward_the_backorder() -> None:
    waiting = plan({US: {LIGHT: 1}}, {LIGHT: 2})

    step = next_step(waiting, SCOPE, [fo(1, US, {LIGHT: 1}, "on_hold"), fo(2, US, {LIGHT: 2})])

    assert step == Hold("gid://shopify/FulfillmentOrder/2", {fo_line(2, LIGHT): 1})


def test_fulfillment_orders_being_fulfilled_or_closed_hold_nothing_the_plan_can_use() -> None:
    step = next_step(PLAN, SCOPE, [fo(1, US, {LIGHT: 2}, "in_progress"), fo(2, CHINA, {PLUSH: 1})])

    assert step == Finished("stale", "line 11001: planned 2 units, Shopify has 0 waiting")


def test_a_line_shopify_has_that_the_plan_never_saw_is_left_alone() -> None:
    only_light = plan({US: {LIGHT: 1}})

    step = next_step(only_light, SCOPE, [fo(1, US, {LIGHT: 1, PLUSH: 1})])

    assert step == Finished("applied")


def test_each_step_reports_what_it_does() -> None:
    move = Move("gid://shopify/FulfillmentOrder/1", CHINA, {fo_line(1, PLUSH): 1})
    hold = Hold("gid://shopify/FulfillmentOrder/1", {fo_line(1, LIGHT): 1})

    assert move.describe() == {
        "step": "move",
        "fulfillment_order": "gid://shopify/FulfillmentOrder/1",
        "to": CHINA,
        "lines": {fo_line(1, PLUSH): 1},
    }
    assert hold.describe() == {
        "step": "hold",
        "fulfillment_order": "gid://shopify/FulfillmentOrder/1",
        "lines": {fo_line(1, LIGHT): 1},
    }


def test_the_hold_note_is_cut_to_what_shopify_keeps_and_an_empty_one_is_left_out() -> None:
    hold = Hold("gid://shopify/FulfillmentOrder/1", {fo_line(1, LIGHT): 1})

    assert hold.note("x" * 300) == "x" * 256
    assert hold.note("Star night light x1 (only 1 in stock)") == "Star night light x1 (only 1 in stock)"
    assert hold.note("") is None


def test_a_plan_is_reached_within_two_steps_a_unit_and_two_more() -> None:
    assert step_limit(PLAN) == 2 * 3 + 2
    assert step_limit(plan({US: {LIGHT: 2}, CHINA: {PLUSH: 1, LIGHT: 1}})) == 2 * 4 + 2


def test_a_plan_that_is_all_backorder_is_applied_by_holding_everything() -> None:
    waiting = plan({}, {LIGHT: 2})

    assert next_step(waiting, SCOPE, [fo(1, US, {LIGHT: 2})]) == Hold(
        "gid://shopify/FulfillmentOrder/1", {fo_line(1, LIGHT): 2}
    )
    assert next_step(waiting, SCOPE, [fo(1, US, {LIGHT: 2}, "on_hold")]) == Finished("applied")


def test_a_move_sends_only_units_beyond_what_their_location_ships() -> None:
    scope = frozenset({US, CHINA, FRANCE})
    # The US ships its two lights; the spare light in France is the one to send to China.
    lights = plan({US: {LIGHT: 2}, CHINA: {LIGHT: 1}})

    step = next_step(lights, scope, [fo(1, US, {LIGHT: 2}), fo(2, FRANCE, {LIGHT: 1})])

    assert step == Move("gid://shopify/FulfillmentOrder/2", CHINA, {fo_line(2, LIGHT): 1})


def test_a_move_sends_the_spare_units_the_destination_still_lacks_and_no_more() -> None:
    scope = frozenset({US, CHINA, FRANCE})
    lights = plan({US: {LIGHT: 2}, CHINA: {LIGHT: 2}})

    step = next_step(lights, scope, [fo(1, US, {LIGHT: 3}), fo(2, FRANCE, {LIGHT: 1})])

    assert step == Move("gid://shopify/FulfillmentOrder/1", CHINA, {fo_line(1, LIGHT): 1})


def test_units_already_at_the_destination_count_toward_what_it_ships() -> None:
    waiting = plan({CHINA: {LIGHT: 2}}, {LIGHT: 2})

    step = next_step(waiting, SCOPE, [fo(1, US, {LIGHT: 3}), fo(2, CHINA, {LIGHT: 1})])

    assert step == Move("gid://shopify/FulfillmentOrder/1", CHINA, {fo_line(1, LIGHT): 1})


def test_units_held_in_several_fulfillment_orders_all_count() -> None:
    waiting = plan({CHINA: {PLUSH: 1}}, {LIGHT: 2})
    orders = [fo(1, US, {LIGHT: 1}, "on_hold"), fo(2, US, {LIGHT: 1}, "on_hold"), fo(3, CHINA, {PLUSH: 1})]

    assert next_step(waiting, SCOPE, orders) == Finished("applied")


def test_a_line_without_a_backorder_that_changed_since_planning_is_left_alone() -> None:
    step = next_step(PLAN, SCOPE, [fo(1, US, {LIGHT: 2}), fo(2, CHINA, {PLUSH: 2})])

    assert step == Finished("stale", "line 11002: planned 1 units, Shopify has 2 waiting")

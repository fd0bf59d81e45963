"""The split planner on hand-made orders: one US warehouse and one China distributor unless said otherwise."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from worker.domain.split import (
    Backorder,
    Location,
    OrderLine,
    SplitInput,
    SplitInputError,
    SplitPlan,
    plan_split,
)

US = Location("us", "US", "US", priority=1, processing_days=1, transit_days={"US": 4, "FR": 12, "*": 15})
CHINA = Location("cn", "China", "CN", priority=2, processing_days=2, transit_days={"US": 10, "FR": 7, "*": 12})
MUG, HAT, SCARF = 101, 102, 103


def line(line_item_id: int, variant_id: int | None, quantity: int = 1, *, ships: bool = True) -> OrderLine:
    return OrderLine(line_item_id, variant_id, quantity, requires_shipping=ships, title=f"item {line_item_id}")


def plan(
    lines: list[OrderLine],
    available: Mapping[int, Mapping[str, int]],
    *,
    to: str = "FR",
    locations: tuple[Location, ...] = (US, CHINA),
    assigned: Mapping[int, Mapping[str, int]] | None = None,
) -> SplitPlan:
    return plan_split(SplitInput(tuple(lines), locations, available, to, assigned or {}))


def shipped(result: SplitPlan) -> dict[str, dict[int, int]]:
    return {s.location_id: {ln.line_item_id: ln.quantity for ln in s.lines} for s in result.shipments}


def test_an_order_stocked_in_one_place_ships_as_one_package() -> None:
    result = plan([line(1, MUG), line(2, HAT, 2)], {MUG: {"us": 5}, HAT: {"us": 5}})

    assert shipped(result) == {"us": {1: 1, 2: 2}}
    assert result.packages == 1 and result.backorders == ()
    assert result.shipments[0].why == 'only location with stock of "item 1" and "item 2"'
    assert result.optimal


def test_items_stocked_apart_ship_as_two_packages_rather_than_wait() -> None:
    result = plan([line(1, MUG), line(2, HAT)], {MUG: {"us": 1}, HAT: {"cn": 1}}, to="US")

    assert shipped(result) == {"us": {1: 1}, "cn": {2: 1}}
    assert result.backorders == ()
    assert result.estimated_delivery_days == 12


def test_a_line_larger_than_any_one_stock_is_split_by_quantity() -> None:
    result = plan([line(1, MUG, 5)], {MUG: {"us": 3, "cn": 2}})

    assert shipped(result) == {"cn": {1: 2}, "us": {1: 3}}
    assert [s.why for s in result.shipments] == ['no other location has enough "item 1"'] * 2


def test_nothing_in_stock_backorders_every_unit() -> None:
    result = plan([line(1, MUG, 2), line(2, HAT)], {MUG: {"us": 0}})

    assert result.shipments == ()
    assert result.estimated_delivery_days is None
    assert result.backorders == (
        Backorder(1, 2, "no stock at any location"),
        Backorder(2, 1, "no stock at any location"),
    )


def test_a_partial_stock_ships_what_it_can_and_backorders_the_rest() -> None:
    result = plan([line(1, MUG, 3)], {MUG: {"us": 1, "cn": 1}})

    assert shipped(result) == {"cn": {1: 1}, "us": {1: 1}}
    assert result.backorders == (Backorder(1, 1, "only 2 in stock"),)


def test_lines_that_need_no_shipping_are_left_out_of_the_plan() -> None:
    result = plan([line(1, MUG), line(2, 555, ships=False)], {MUG: {"us": 1}})

    assert shipped(result) == {"us": {1: 1}}
    assert result.backorders == ()


def test_a_custom_item_without_a_variant_waits_for_a_person() -> None:
    result = plan([line(1, None)], {})

    assert result.backorders == (Backorder(1, 1, "custom item without a variant to stock"),)


@pytest.mark.parametrize(
    ("china", "available", "reason"),
    [
        pytest.param(
            Location("cn", "China", "CN", 2, 2, {"FR": 7}, ships=False),
            {MUG: {"cn": 4}},
            "location China does not ship",
            id="a location marked ships=false is never used",
        ),
        pytest.param(
            Location("cn", "China", "CN", 2, 2, {"US": 10}),
            {MUG: {"cn": 4}},
            "location China does not ship to FR",
            id="a location with no transit to the country and no default cannot send there",
        ),
        pytest.param(
            Location("cn", "China", "CN", 2, 2, {"FR": 7}, ships=False),
            {MUG: {"cn": 4, "us": 1}},
            "only 1 in stock; location China does not ship",
            id="what a shipping location holds still ships",
        ),
    ],
)
def test_stock_a_location_cannot_send_is_backordered_with_the_reason(
    china: Location, available: Mapping[int, Mapping[str, int]], reason: str
) -> None:
    result = plan([line(1, MUG, 2)], available, locations=(US, china))

    assert "cn" not in shipped(result)
    assert result.backorders == (Backorder(1, 2 - sum(shipped(result).get("us", {}).values()), reason),)


def test_fewer_packages_win_over_an_earlier_delivery() -> None:
    europe = Location("eu", "Europe", "NL", priority=3, processing_days=1, transit_days={"FR": 2})
    result = plan(
        [line(1, MUG), line(2, HAT)],
        {MUG: {"us": 1, "cn": 1}, HAT: {"us": 1, "eu": 1}},
        locations=(US, CHINA, europe),
    )

    assert shipped(result) == {"us": {1: 1, 2: 1}}
    assert result.estimated_delivery_days == 13


TWIN_US = Location("us2", "US East", "US", priority=2, processing_days=1, transit_days={"US": 4, "FR": 12})


@pytest.mark.parametrize(
    ("locations", "assigned", "chosen", "why"),
    [
        pytest.param(
            (US, CHINA),
            {1: {"us": 1}},
            "cn",
            "arrives 4 days sooner than US",
            id="each item ships from the distributor that can ship it fastest",
        ),
        pytest.param(
            (US, TWIN_US),
            {1: {"us2": 1}},
            "us2",
            "already assigned here",
            id="between equally fast locations, the fewest units change location",
        ),
        pytest.param(
            (US, TWIN_US),
            {},
            "us",
            "preferred over US East (priority 1 vs 2)",
            id="between equal plans, the merchant's location priority decides",
        ),
    ],
)
def test_ties_are_broken_by_delivery_then_changes_then_priority(
    locations: tuple[Location, ...], assigned: dict[int, dict[str, int]], chosen: str, why: str
) -> None:
    available = {MUG: {location.id: 5 for location in locations}}
    result = plan([line(1, MUG)], available, locations=locations, assigned=assigned)

    assert shipped(result) == {chosen: {1: 1}}
    assert result.shipments[0].why == why


def test_a_faster_location_is_worth_moving_units_for() -> None:
    result = plan([line(1, MUG, 2)], {MUG: {"us": 5, "cn": 5}}, assigned={1: {"us": 2}})

    assert shipped(result) == {"cn": {1: 2}}
    assert result.units_moved == 2


def test_two_lines_of_one_variant_draw_on_the_same_stock() -> None:
    result = plan([line(1, MUG, 2), line(2, MUG, 2)], {MUG: {"us": 3, "cn": 1}})

    assert result.packages == 2
    assert sum(q for by_line in shipped(result).values() for q in by_line.values()) == 4
    assert result.backorders == ()


def test_two_lines_of_one_short_variant_backorder_the_later_line() -> None:
    result = plan([line(1, MUG, 2), line(2, MUG, 2)], {MUG: {"us": 3}})

    assert shipped(result) == {"us": {1: 2, 2: 1}}
    assert result.backorders == (Backorder(2, 1, "only 3 in stock"),)


def test_one_package_instead_of_two_is_explained_against_per_line_routing() -> None:
    result = plan([line(1, MUG), line(2, HAT)], {MUG: {"us": 1, "cn": 1}, HAT: {"cn": 1}})

    assert shipped(result) == {"cn": {1: 1, 2: 1}}
    assert result.shipments[0].why == 'one package instead of two; only location with stock of "item 2"'


def test_shipments_are_listed_earliest_first_with_processing_plus_transit() -> None:
    result = plan([line(1, MUG), line(2, HAT)], {MUG: {"us": 1}, HAT: {"cn": 1}}, to="DE")

    assert [(s.location_name, s.estimated_delivery_days) for s in result.shipments] == [("China", 14), ("US", 16)]


def test_the_plan_hash_is_the_same_for_the_same_decision_and_changes_with_it() -> None:
    first = plan([line(1, MUG), line(2, HAT)], {MUG: {"us": 1}, HAT: {"cn": 1}})
    again = plan([line(2, HAT), line(1, MUG)], {HAT: {"cn": 1}, MUG: {"us": 1}})
    other = plan([line(1, MUG), line(2, HAT)], {MUG: {"cn": 1}, HAT: {"cn": 1}})

    assert len(first.plan_hash) == 64
    assert first.plan_hash == again.plan_hash
    assert first.plan_hash != other.plan_hash


def test_an_order_too_large_to_search_gets_a_greedy_plan_marked_not_optimal() -> None:
    plan_input = SplitInput(
        (line(1, MUG), line(2, HAT), line(3, SCARF, 3)),
        (US, CHINA),
        {MUG: {"us": 1}, HAT: {"cn": 1}, SCARF: {"us": 2, "cn": 2}},
        "FR",
    )
    result = plan_split(plan_input, node_budget=0)

    assert not result.optimal
    assert result.backorders == ()
    assert result.packages == 2


HUB = Location("hub", "Hub", "FR", priority=3, processing_days=1, transit_days={"FR": 2, "*": 6})
SPAIN = Location("es", "Spain", "ES", priority=4, processing_days=1, transit_days={"FR": 3, "*": 6})


def test_past_the_search_budget_the_location_holding_everything_ships_it_in_one_package() -> None:
    plan_input = SplitInput(
        (line(1, MUG), line(2, HAT), line(3, SCARF, 3)),
        (US, CHINA, HUB),
        {MUG: {"us": 1, "hub": 1}, HAT: {"cn": 1, "hub": 1}, SCARF: {"us": 3, "cn": 3, "hub": 3}},
        "FR",
    )
    result = plan_split(plan_input, node_budget=0)

    assert not result.optimal
    assert shipped(result) == {"hub": {1: 1, 2: 1, 3: 3}}
    assert result.backorders == ()


def test_past_the_search_budget_equal_covers_go_to_the_faster_location() -> None:
    plan_input = SplitInput(
        (line(1, MUG), line(2, HAT)),
        (US, CHINA, SPAIN, HUB),
        {MUG: {"us": 1, "es": 1, "hub": 1}, HAT: {"cn": 1, "es": 1, "hub": 1}},
        "FR",
    )
    result = plan_split(plan_input, node_budget=0)

    assert shipped(result) == {"hub": {1: 1, 2: 1}}
    assert result.estimated_delivery_days == 3


def test_past_the_search_budget_the_largest_share_is_taken_first() -> None:
    plan_input = SplitInput(
        (line(1, MUG, 4), line(2, HAT, 2)),
        (US, CHINA, HUB),
        {MUG: {"us": 1, "cn": 4}, HAT: {"us": 2, "hub": 2}},
        "FR",
    )
    result = plan_split(plan_input, node_budget=0)

    assert shipped(result) == {"cn": {1: 4}, "hub": {2: 2}}
    assert result.packages == 2


RENNES = Location("r", "Rennes", "FR", priority=1, processing_days=0, transit_days={"FR": 1})
PARIS = Location("p", "Paris", "FR", priority=2, processing_days=1, transit_days={"FR": 1})
QUIMPER = Location("q", "Quimper", "FR", priority=3, processing_days=1, transit_days={"FR": 4})


def test_past_the_search_budget_the_slower_location_holding_everything_beats_a_faster_one_holding_part() -> None:
    plan_input = SplitInput(
        (line(1, MUG, 2), line(2, HAT)), (PARIS, QUIMPER), {MUG: {"p": 2, "q": 2}, HAT: {"q": 1}}, "FR"
    )
    result = plan_split(plan_input, node_budget=0)

    assert shipped(result) == {"q": {1: 2, 2: 1}}
    assert result.packages == 1


def test_past_the_search_budget_a_last_single_unit_still_adds_the_location_that_has_it() -> None:
    plan_input = SplitInput(
        (line(1, MUG, 2), line(2, HAT)),
        (RENNES, PARIS, QUIMPER),
        {MUG: {"r": 1, "p": 2}, HAT: {"q": 1}},
        "FR",
    )
    result = plan_split(plan_input, node_budget=0)

    # Paris sends both mugs; Rennes, faster and preferred but with one mug, adds nothing and is left out.
    assert shipped(result) == {"p": {1: 2}, "q": {2: 1}}
    assert result.backorders == ()


@pytest.mark.parametrize(
    ("lines", "locations", "available", "assigned", "message"),
    [
        pytest.param([line(1, MUG, -1)], (US,), {}, {}, "line item 1: quantity must not be negative", id="negative"),
        pytest.param(
            [line(1, MUG)],
            (US,),
            {MUG: {"eu": 1}},
            {},
            "available[101]: unknown location eu",
            id="unknown location in available",
        ),
        pytest.param(
            [line(1, MUG)],
            (US,),
            {MUG: {"us": -2}},
            {},
            "available[101][us]: quantity must not be negative",
            id="negative stock",
        ),
        pytest.param([line(1, MUG)], (US, US), {}, {}, "location us: listed twice", id="duplicate location"),
        pytest.param([line(1, MUG), line(1, HAT)], (US,), {}, {}, "line item 1: listed twice", id="duplicate line"),
        pytest.param(
            [line(1, MUG)],
            (US,),
            {},
            {1: {"us": 2}},
            "assigned[1]: 2 units assigned but the line has 1 to fulfil",
            id="over-assigned line",
        ),
        pytest.param(
            [line(1, MUG)],
            (US,),
            {},
            {7: {"us": 1}},
            "assigned[7]: not a line of this order",
            id="assignment for another order's line",
        ),
    ],
)
def test_input_the_planner_cannot_trust_is_refused_with_a_readable_message(
    lines: list[OrderLine],
    locations: tuple[Location, ...],
    available: Mapping[int, Mapping[str, int]],
    assigned: Mapping[int, Mapping[str, int]],
    message: str,
) -> None:
    with pytest.raises(SplitInputError) as refused:
        SplitInput(tuple(lines), locations, available, "FR", assigned)

    assert str(refused.value) == message


# little-twinkle-stars: "your order is fulfilled at the location that can ship it to you the fastest" and "if one
# of the items you ordered is ready, we do not wait till the other ones are, we ship out what is ready immediately".


def fastest(
    lines: list[OrderLine],
    available: Mapping[int, Mapping[str, int]],
    *,
    to: str = "FR",
    locations: tuple[Location, ...] = (US, CHINA),
) -> SplitPlan:
    return plan_split(SplitInput(tuple(lines), locations, available, to), objective="fastest_per_item")


def test_fastest_each_item_ships_from_the_location_that_gets_it_there_soonest_even_as_two_packages() -> None:
    # To France the US takes 1 + 12 = 13 days and China 2 + 7 = 9.
    lines, stock = [line(1, MUG), line(2, HAT)], {MUG: {"us": 1}, HAT: {"us": 1, "cn": 1}}

    assert shipped(plan(lines, stock)) == {"us": {1: 1, 2: 1}}
    result = fastest(lines, stock)
    assert shipped(result) == {"cn": {2: 1}, "us": {1: 1}}
    assert [s.why for s in result.shipments] == [
        "fastest to the customer: arrives 4 days sooner than US",
        'only location with stock of "item 1"',
    ]


def test_fastest_what_is_ready_at_the_fast_location_ships_and_the_rest_comes_from_the_slower_one() -> None:
    result = fastest([line(1, MUG, 3)], {MUG: {"us": 5, "cn": 1}})

    assert shipped(result) == {"cn": {1: 1}, "us": {1: 2}}
    assert result.shipments[1].why == "the faster China cannot send all of it now; what is ready ships at once"


def test_fastest_among_equally_fast_locations_the_fewest_packages_win() -> None:
    paris = Location("fr", "Paris", "FR", priority=3, processing_days=2, transit_days={"FR": 7})
    result = fastest(
        [line(1, MUG), line(2, HAT)], {MUG: {"cn": 1, "fr": 1}, HAT: {"fr": 1}}, locations=(US, CHINA, paris)
    )

    assert shipped(result) == {"fr": {1: 1, 2: 1}}


def test_fastest_among_equally_fast_and_equally_few_packages_the_merchant_priority_wins() -> None:
    paris = Location("fr", "Paris", "FR", priority=3, processing_days=2, transit_days={"FR": 7})
    result = fastest([line(1, MUG)], {MUG: {"cn": 1, "fr": 1}}, locations=(US, CHINA, paris))

    assert shipped(result) == {"cn": {1: 1}}
    assert result.shipments[0].why == "as fast as Paris; fewer packages this way, or preferred (priority 2 vs 3)"

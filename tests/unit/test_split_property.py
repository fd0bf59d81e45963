"""The planner against brute force: every way of placing every unit, on small random orders."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.split import Location, OrderLine, SplitInput, SplitPlan, plan_split

Placement = tuple[tuple[int, ...], ...]
Key = tuple[object, ...]
OBJECTIVES = ["fewest_packages", "fastest_per_item"]


@st.composite
def small_orders(draw: st.DrawFn) -> SplitInput:
    count = draw(st.integers(1, 3))
    locations = tuple(
        Location(
            id=f"L{index}",
            name=f"L{index}",
            country="US",
            priority=draw(st.integers(1, 3)),
            processing_days=draw(st.integers(0, 2)),
            transit_days=draw(st.sampled_from([{"FR": 3}, {"FR": 9}, {"*": 6}, {"US": 2}])),
            ships=draw(st.booleans()) or index == 0,
        )
        for index in range(count)
    )
    lines = tuple(
        OrderLine(number, draw(st.sampled_from([7, 8, 9])), draw(st.integers(1, 3)), draw(st.booleans()) or number < 2)
        for number in range(draw(st.integers(1, 3)))
    )
    available = {variant: {location.id: draw(st.integers(0, 3)) for location in locations} for variant in (7, 8, 9)}
    assigned = {
        line.line_item_id: {draw(st.sampled_from(locations)).id: line.quantity} for line in lines if draw(st.booleans())
    }
    return SplitInput(lines, locations, available, "FR", assigned)


def placements(plan_input: SplitInput, places: list[Location]) -> Iterator[Placement]:
    """Every split of every shipped line over the places, each line shipping any part of its quantity."""
    options = []
    for line in plan_input.lines:
        quantity = line.quantity if line.requires_shipping else 0
        options.append(
            [split for split in itertools.product(range(quantity + 1), repeat=len(places)) if sum(split) <= quantity]
        )
    yield from itertools.product(*options)


def best_by_brute_force(plan_input: SplitInput, objective: str) -> Key:
    """The objective, smallest is best: fewest_packages is (-units shipped, packages, latest delivery, units
    moved); fastest_per_item is (-units shipped, delivery days summed over units, packages, priorities)."""
    places = [p for p in plan_input.locations if p.ships and p.delivery_days("FR") is not None]
    best = None
    for placement in placements(plan_input, places):
        if any(
            sum(split[j] for line, split in zip(plan_input.lines, placement, strict=True) if line.variant_id == variant)
            > plan_input.available[variant][place.id]
            for variant in (7, 8, 9)
            for j, place in enumerate(places)
        ):
            continue
        used = [place for j, place in enumerate(places) if any(split[j] for split in placement)]
        units = sum(map(sum, placement))
        kept = sum(
            min(split[j], plan_input.assigned.get(line.line_item_id, {}).get(place.id, 0))
            for line, split in zip(plan_input.lines, placement, strict=True)
            for j, place in enumerate(places)
        )
        if objective == "fewest_packages":
            key: Key = (-units, len(used), max((p.delivery_days("FR") or 0 for p in used), default=0), units - kept)
        else:
            days = sum(
                split[j] * (place.delivery_days("FR") or 0) for split in placement for j, place in enumerate(places)
            )
            key = (-units, days, len(used), tuple(sorted(p.priority for p in used)))
        best = key if best is None else min(best, key)
    assert best is not None
    return best


def objective_of(result: SplitPlan, plan_input: SplitInput, objective: str) -> Key:
    units = sum(line.quantity for shipment in result.shipments for line in shipment.lines)
    if objective == "fewest_packages":
        return (-units, result.packages, result.estimated_delivery_days or 0, result.units_moved)
    priority = {location.id: location.priority for location in plan_input.locations}
    days = sum(
        line.quantity * shipment.estimated_delivery_days for shipment in result.shipments for line in shipment.lines
    )
    return (-units, days, result.packages, tuple(sorted(priority[s.location_id] for s in result.shipments)))


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=150, deadline=None)
@given(plan_input=small_orders())
def test_the_plan_matches_brute_force_on_its_objective(plan_input: SplitInput, objective: str) -> None:
    result = plan_split(plan_input, objective=objective)  # type: ignore[arg-type]

    assert result.optimal
    assert objective_of(result, plan_input, objective) == best_by_brute_force(plan_input, objective)


@pytest.mark.parametrize("objective", OBJECTIVES)
@settings(max_examples=150, deadline=None)
@given(plan_input=small_orders())
def test_every_unit_is_either_shipped_from_stock_or_backordered(plan_input: SplitInput, objective: str) -> None:
    result = plan_split(plan_input, objective=objective)  # type: ignore[arg-type]

    accounted = {line.line_item_id: 0 for line in plan_input.lines}
    used: dict[tuple[int, str], int] = {}
    variant_of = {line.line_item_id: line.variant_id for line in plan_input.lines}
    for shipment in result.shipments:
        for shipped in shipment.lines:
            accounted[shipped.line_item_id] += shipped.quantity
            key = (variant_of[shipped.line_item_id] or 0, shipment.location_id)
            used[key] = used.get(key, 0) + shipped.quantity
    for backorder in result.backorders:
        accounted[backorder.line_item_id] += backorder.quantity
    assert accounted == {line.line_item_id: line.quantity if line.requires_shipping else 0 for line in plan_input.lines}
    assert all(units <= plan_input.available[variant][location] for (variant, location), units in used.items())

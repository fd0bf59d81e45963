"""The split planner's single entry point: choose locations, place units, explain, hash."""

from __future__ import annotations

from worker.domain.split.allocate import allocate
from worker.domain.split.explain import fastest_why, plan_hash, priority_first, why
from worker.domain.split.model import Objective, Shipment, ShipmentLine, SplitInput, SplitPlan
from worker.domain.split.problem import Problem
from worker.domain.split.search import DEFAULT_NODE_BUDGET, choose_locations


def plan_split(
    plan_input: SplitInput, *, objective: Objective = "fewest_packages", node_budget: int = DEFAULT_NODE_BUDGET
) -> SplitPlan:
    """Ship the most units now; then, by the store's objective, either the fewest packages, the last arriving
    soonest, moving the fewest units (`fewest_packages`), or each unit from the location that delivers it
    soonest, then the fewest packages (`fastest_per_item`).

    Ties after that go to the merchant's location priority. `node_budget` bounds the exact search; past it
    the plan comes from a greedy cover and says `optimal=False`.
    """
    problem = Problem(plan_input)
    chosen, optimal = choose_locations(problem, node_budget, objective)
    allocation, backorders = allocate(problem, chosen, objective)
    baseline = priority_first(problem) if objective == "fewest_packages" else {}
    lines_by_location: dict[str, tuple[ShipmentLine, ...]] = {}
    for location_id in chosen:
        lines = tuple(
            ShipmentLine(line_item_id, placed[location_id])
            for line_item_id, placed in sorted(allocation.items())
            if placed.get(location_id)
        )
        if lines:
            lines_by_location[location_id] = lines
    shipments = tuple(
        Shipment(
            location_id=location_id,
            location_name=problem.locations[location_id].name,
            estimated_delivery_days=problem.days[location_id],
            lines=lines,
            why=(
                why(problem, allocation, baseline, chosen, location_id)
                if objective == "fewest_packages"
                else fastest_why(problem, allocation, location_id)
            ),
        )
        for location_id, lines in sorted(
            lines_by_location.items(), key=lambda item: (problem.days[item[0]], problem.preference(item[0]))
        )
    )
    kept = sum(
        min(units, plan_input.assigned.get(line_item_id, {}).get(location_id, 0))
        for line_item_id, placed in allocation.items()
        for location_id, units in placed.items()
    )
    return SplitPlan(
        shipments=shipments,
        backorders=backorders,
        optimal=optimal,
        units_moved=problem.shippable_units - kept,
        plan_hash=plan_hash(lines_by_location, backorders),
    )

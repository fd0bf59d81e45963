"""Place units inside the chosen locations and say why the rest must wait.

Fewest packages: units already assigned to a chosen location stay there first (fewest changes); the rest go to
the chosen locations in the merchant's preference order. Fastest per item: every unit goes to the fastest chosen
location with stock, the merchant's preference breaking ties. Either way units go to the order's lines in their
own order, so lines that share a short variant are backordered last-line-first.
"""

from __future__ import annotations

from worker.domain.split.model import Backorder, Objective
from worker.domain.split.problem import Demand, Problem

Allocation = dict[int, dict[str, int]]


def allocate(
    problem: Problem, chosen: frozenset[str], objective: Objective = "fewest_packages"
) -> tuple[Allocation, tuple[Backorder, ...]]:
    """Line -> location -> units for what ships, and one backorder per line that falls short."""
    allocation: Allocation = {}
    backorders: list[Backorder] = []
    for demand in problem.demands:
        _allocate_demand(problem, demand, chosen, allocation, fastest=objective == "fastest_per_item")
        reason = shortage_reason(problem, demand)
        for line in demand.lines:
            short = line.quantity - sum(allocation.get(line.line_item_id, {}).values())
            if short > 0:
                backorders.append(Backorder(line.line_item_id, short, reason))
    for line in problem.unstocked_lines:
        backorders.append(Backorder(line.line_item_id, line.quantity, "custom item without a variant to stock"))
    return allocation, tuple(sorted(backorders, key=lambda backorder: backorder.line_item_id))


def _allocate_demand(
    problem: Problem, demand: Demand, chosen: frozenset[str], allocation: Allocation, fastest: bool
) -> None:
    order = (lambda location_id: (problem.days[location_id], *problem.preference(location_id))) if fastest else None
    places = sorted(
        (location_id for location_id in demand.stock if location_id in chosen), key=order or problem.preference
    )
    left = {location_id: demand.stock[location_id] for location_id in places}
    open_units = {line.line_item_id: line.quantity for line in demand.lines}
    to_ship = demand.target

    def take(line_item_id: int, location_id: str, limit: int) -> None:
        nonlocal to_ship
        units = min(limit, left[location_id], open_units[line_item_id], to_ship)
        if units > 0:
            placed = allocation.setdefault(line_item_id, {})
            placed[location_id] = placed.get(location_id, 0) + units
            left[location_id] -= units
            open_units[line_item_id] -= units
            to_ship -= units

    for line in demand.lines:
        assigned = {} if fastest else problem.input.assigned.get(line.line_item_id, {})
        for location_id in places:
            take(line.line_item_id, location_id, assigned.get(location_id, 0))
    for line in demand.lines:
        for location_id in places:
            take(line.line_item_id, location_id, line.quantity)


def shortage_reason(problem: Problem, demand: Demand) -> str:
    """Why some units of a variant cannot ship now, naming the locations that hold stock but cannot send it."""
    country = problem.input.destination_country
    stranded = []
    for location_id, units in sorted(problem.input.available.get(demand.variant_id, {}).items()):
        if units > 0 and location_id not in problem.days:
            location = problem.locations[location_id]
            reach = "" if not location.ships else f" to {country}"
            stranded.append(f"location {location.name} does not ship{reach}")
    in_reach = sum(demand.stock.values())
    if in_reach:
        return "; ".join([f"only {in_reach} in stock", *stranded])
    return "; ".join(stranded) or "no stock at any location"

"""Reasons a merchant can read, the per-line baseline they are measured against, and the plan's hash.

A shipment's reason compares its location with the best location outside the plan that could have sent the
same units instead: swapping them keeps every other package, so the first objective where the swap loses is
the honest reason (later delivery, more units moved, lower priority).
"""

from __future__ import annotations

import hashlib
import json

from worker.domain.split.allocate import Allocation
from worker.domain.split.model import Backorder, ShipmentLine, SplitInput
from worker.domain.split.problem import CoverKey, Problem

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def priority_first(problem: Problem) -> Allocation:
    """What a per-line router does: each line from its highest-priority location with stock, in order."""
    left = {
        (demand.variant_id, location_id): units
        for demand in problem.demands
        for location_id, units in demand.stock.items()
    }
    allocation: Allocation = {}
    for demand in problem.demands:
        places = sorted(demand.stock, key=problem.preference)
        for line in demand.lines:
            wanted = line.quantity
            for location_id in places:
                units = min(wanted, left[(demand.variant_id, location_id)])
                if units > 0:
                    allocation.setdefault(line.line_item_id, {})[location_id] = units
                    left[(demand.variant_id, location_id)] -= units
                    wanted -= units
    return allocation


def packages_of(allocation: Allocation) -> int:
    return len({location_id for placed in allocation.values() for location_id, units in placed.items() if units})


def priority_first_packages(plan_input: SplitInput) -> int:
    """The baseline a plan is judged against: packages sent when each line goes to its preferred location."""
    return packages_of(priority_first(Problem(plan_input)))


def why(
    problem: Problem, allocation: Allocation, baseline: Allocation, chosen: frozenset[str], location_id: str
) -> str:
    """One sentence per package: what it saves against the per-line router (`baseline`), then why this location."""
    clauses = []
    packages, baseline_packages = packages_of(allocation), packages_of(baseline)
    carried = {
        line_item_id: placed[location_id] for line_item_id, placed in allocation.items() if placed.get(location_id)
    }
    if packages < baseline_packages and any(
        set(baseline.get(line_item_id, {})) - {location_id} for line_item_id in carried
    ):
        clauses.append(
            f"{_number(packages)} package{'' if packages == 1 else 's'} instead of {_number(baseline_packages)}"
        )
    clauses.append(_source_reason(problem, chosen, location_id, carried))
    return "; ".join(clauses)


def _source_reason(problem: Problem, chosen: frozenset[str], location_id: str, carried: dict[int, int]) -> str:
    units_by_variant: dict[int, int] = {}
    titles: dict[int, str] = {}
    for demand in problem.demands:
        for line in demand.lines:
            if line.line_item_id in carried:
                units_by_variant[demand.variant_id] = (
                    units_by_variant.get(demand.variant_id, 0) + carried[line.line_item_id]
                )
                titles.setdefault(demand.variant_id, line.title or f"line {line.line_item_id}")
    stock = {demand.variant_id: demand.stock for demand in problem.demands}
    alternatives = [
        other
        for other in problem.days
        if other not in chosen
        and all(stock[variant].get(other, 0) >= units for variant, units in units_by_variant.items())
    ]
    if not alternatives:
        sole = [titles[variant] for variant in units_by_variant if set(stock[variant]) == {location_id}]
        if sole:
            return f"only location with stock of {_listing(sole)}"
        short = [
            titles[variant]
            for variant, units in units_by_variant.items()
            if not any(held >= units for other, held in stock[variant].items() if other not in chosen)
        ]
        if short:
            return f"no other location has enough {_listing(short)}"
        return "no other location has all of these"
    mine = problem.cover_key(chosen)
    rival_key, rival = min((problem.cover_key(chosen - {location_id} | {other}), other) for other in alternatives)
    return _compare(problem, location_id, mine, rival, rival_key, sum(carried.values()))


def _compare(problem: Problem, location_id: str, mine: CoverKey, rival: str, rival_key: CoverKey, units: int) -> str:
    name = problem.locations[rival].name
    if rival_key < mine:
        return f"picked by the quick planner for large orders over {name}"
    if rival_key[0] != mine[0]:
        sooner = problem.days[rival] - problem.days[location_id]
        return f"arrives {_count(sooner, 'day')} sooner than {name}"
    if rival_key[1] != mine[1]:
        if problem.keepable[location_id] >= units:
            return "already assigned here"
        return f"moves {_count(rival_key[1] - mine[1], 'unit')} fewer than {name}"
    if rival_key[2] != mine[2]:
        ours, theirs = problem.locations[location_id].priority, problem.locations[rival].priority
        return f"preferred over {name} (priority {ours} vs {theirs})"
    return f"as good as {name}; first by location id"


def fastest_why(problem: Problem, allocation: Allocation, location_id: str) -> str:
    """Why these units go from here when each unit takes the location that delivers it soonest: no other
    location has them, the faster ones hold too few, it is the fastest, or it ties with one and wins on
    packages, priority or id."""
    carried = {
        line_item_id: placed[location_id] for line_item_id, placed in allocation.items() if placed.get(location_id)
    }
    days = problem.days[location_id]
    variants: dict[int, str] = {}
    for demand in problem.demands:
        if any(line.line_item_id in carried for line in demand.lines):
            title = next(
                line.title or f"line {line.line_item_id}" for line in demand.lines if line.line_item_id in carried
            )
            variants[demand.variant_id] = title
    stock = {demand.variant_id: demand.stock for demand in problem.demands}
    others = {other for variant in variants for other in stock[variant] if other != location_id}
    if not others:
        return f"only location with stock of {_listing(list(variants.values()))}"
    faster = sorted((problem.days[other], other) for other in others if problem.days[other] < days)
    if faster:
        names = " and ".join(problem.locations[other].name for _, other in faster)
        return f"the faster {names} cannot send all of it now; what is ready ships at once"
    ties = sorted(problem.preference(other) + (other,) for other in others if problem.days[other] == days)
    if ties:
        rival, ours = problem.locations[ties[0][-1]], problem.locations[location_id]
        if ours.priority != rival.priority:
            preferred = f"priority {ours.priority} vs {rival.priority}"
            return f"as fast as {rival.name}; fewer packages this way, or preferred ({preferred})"
        return f"as fast as {rival.name}; fewer packages this way, or first by location id"
    slower_days, slower = min((problem.days[other], problem.locations[other].name) for other in others)
    return f"fastest to the customer: arrives {_count(slower_days - days, 'day')} sooner than {slower}"


def _listing(titles: list[str]) -> str:
    quoted = [f'"{title}"' for title in titles[:3]]
    if len(titles) > 3:
        quoted.append(f"{len(titles) - 3} more")
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _number(count: int) -> str:
    return _WORDS[count] if count < len(_WORDS) else str(count)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def plan_hash(shipments: dict[str, tuple[ShipmentLine, ...]], backorders: tuple[Backorder, ...]) -> str:
    """sha256 over what ships from where and what waits, so an unchanged decision re-plans to the same hash."""
    canonical = {
        "version": 1,
        "shipments": [
            [location_id, [[line.line_item_id, line.quantity] for line in lines]]
            for location_id, lines in sorted(shipments.items())
        ],
        "backorders": [[backorder.line_item_id, backorder.quantity] for backorder in backorders],
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()

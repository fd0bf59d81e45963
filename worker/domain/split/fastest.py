"""The fastest-per-item objective: each unit from the location that delivers it soonest, then fewest packages.

For one variant, the least delivery days summed over its units is reached only by taking all the stock of the
locations faster than some day count d, and the rest of its target from locations exactly d days away; which of
those d-day locations give the rest is free. So every optimal plan contains the faster locations (they are
forced), and what remains is the same cover problem as the fewest-packages search, restricted per variant to its
d-day locations and the units still missing. The cover search then finds the fewest packages exactly, and among
them the merchant's priorities decide.
"""

from __future__ import annotations

from collections.abc import Iterable

from worker.domain.split.problem import CoverKey, Demand, Problem


class FastestCover:
    """The cover problem left once every variant's faster locations are taken whole; shaped like a Problem for
    the cover search and the greedy fallback."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.days, self.locations, self.keepable = problem.days, problem.locations, problem.keepable
        demands: list[Demand] = []
        forced: set[str] = set()
        for demand in problem.demands:
            if demand.target <= 0:
                continue
            cutoff, before = _marginal_days(demand, problem.days)
            forced.update(location_id for location_id in demand.stock if problem.days[location_id] < cutoff)
            marginal = {
                location_id: units for location_id, units in demand.stock.items() if problem.days[location_id] == cutoff
            }
            missing = demand.target - before
            if missing > 0:
                demands.append(Demand(demand.variant_id, demand.lines, missing, marginal, missing))
        # A location every plan must use is a demand only it can meet, so the search takes it first.
        demands += [Demand(-1 - i, (), 1, {location_id: 1}, 1) for i, location_id in enumerate(sorted(forced))]
        self.demands = tuple(demands)
        self.forced = frozenset(forced)

    def preference(self, location_id: str) -> tuple[int, int, str]:
        return self.problem.preference(location_id)

    def cover_key(self, location_ids: Iterable[str]) -> CoverKey:
        """After the size of the set: the merchant's priorities, then ids."""
        ids = sorted(location_ids)
        return (0, 0, tuple(sorted(self.locations[location_id].priority for location_id in ids)), tuple(ids))


def _marginal_days(demand: Demand, days: dict[str, int]) -> tuple[int, int]:
    """The delivery days d at which the variant's target is reached fastest, and the units of faster locations."""
    by_days: dict[int, int] = {}
    for location_id, units in demand.stock.items():
        by_days[days[location_id]] = by_days.get(days[location_id], 0) + units
    before = 0
    for cutoff in sorted(by_days):
        if before + by_days[cutoff] >= demand.target:
            return cutoff, before
        before += by_days[cutoff]
    raise AssertionError("a variant's target never exceeds its stock in reach")


def delivery_days_by_units(problem: Problem, allocation: dict[int, dict[str, int]]) -> int:
    """Delivery days summed over every unit that ships: what this objective makes least."""
    return sum(
        problem.days[location_id] * units for placed in allocation.values() for location_id, units in placed.items()
    )

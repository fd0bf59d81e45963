"""Choose the set of locations that ships: exact search by increasing size, greedy past a node budget.

The search branches on the uncovered variant with the fewest candidate locations (every cover must contain
one of them) and bans the candidates already tried, so each set is visited once. A set is pruned when it
would need more locations than are left: variants whose candidates do not overlap each need their own.
Among covers of the smallest size it keeps the best `Problem.cover_key`, skipping locations slower than the
best cover found so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from worker.domain.split.fastest import FastestCover
from worker.domain.split.model import Objective
from worker.domain.split.problem import CoverKey, Demand, Problem

DEFAULT_NODE_BUDGET = 50_000


class _BudgetExceeded(Exception):
    pass


class CoverProblem(Protocol):
    """What the search needs of a problem: per-variant stock and targets, and how to rank a covering set."""

    @property
    def demands(self) -> tuple[Demand, ...]: ...
    @property
    def days(self) -> Mapping[str, int]: ...
    @property
    def keepable(self) -> Mapping[str, int]: ...
    def preference(self, location_id: str) -> tuple[int, int, str]: ...
    def cover_key(self, location_ids: Iterable[str]) -> CoverKey: ...


class _CoverSearch:
    def __init__(self, problem: CoverProblem, node_budget: int, prune_slower: bool) -> None:
        self.problem = problem
        self.node_budget = node_budget
        self.prune_slower = prune_slower  # when the key ranks covers by their latest delivery first
        self.nodes = 0
        demands = [demand for demand in problem.demands if demand.target > 0]
        self.targets = [demand.target for demand in demands]
        ids = sorted(
            {location_id for demand in demands for location_id in demand.stock},
            key=lambda location_id: (
                problem.days[location_id],
                -problem.keepable[location_id],
                problem.preference(location_id),
            ),
        )
        self.ids = ids
        index = {location_id: position for position, location_id in enumerate(ids)}
        self.stock_at: list[list[tuple[int, int]]] = [[] for _ in ids]
        self.candidates = [0] * len(demands)
        for variant, demand in enumerate(demands):
            for location_id, units in demand.stock.items():
                self.stock_at[index[location_id]].append((variant, units))
                self.candidates[variant] |= 1 << index[location_id]
        self.slow = 0

    def best_cover(self) -> frozenset[str]:
        chosen, deficits = self._forced()
        for size in range(chosen.bit_count(), len(self.ids) + 1):
            best: tuple[CoverKey, int] | None = None
            self.slow = 0
            for cover in self._covers(chosen, deficits, size - chosen.bit_count(), 0):
                key = self.problem.cover_key(self._ids_of(cover))
                if best is None or key < best[0]:
                    best = (key, cover)
                    if self.prune_slower:
                        self.slow = self._slower_than(key[0])
            if best is not None:
                return self._ids_of(best[1])
        raise AssertionError("the full set of stocked locations always covers")

    def _forced(self) -> tuple[int, list[int]]:
        """Locations without which some variant cannot reach its target belong to every cover."""
        totals = [0] * len(self.targets)
        for stocked in self.stock_at:
            for variant, units in stocked:
                totals[variant] += units
        chosen = 0
        deficits = list(self.targets)
        for position, stocked in enumerate(self.stock_at):
            if any(totals[variant] - units < self.targets[variant] for variant, units in stocked):
                chosen |= 1 << position
                for variant, units in stocked:
                    deficits[variant] -= units
        return chosen, deficits

    def _covers(self, chosen: int, deficits: list[int], slots: int, banned: int) -> Iterator[int]:
        self.nodes += 1
        if self.nodes > self.node_budget:
            raise _BudgetExceeded
        blocked = chosen | banned | self.slow
        open_sets = []
        for variant, deficit in enumerate(deficits):
            if deficit > 0:
                open_set = self.candidates[variant] & ~blocked
                if not open_set:
                    return
                open_sets.append(open_set)
        if not open_sets:
            yield chosen
            return
        open_sets.sort(key=int.bit_count)
        needed, reached = 0, 0
        for open_set in open_sets:
            if not open_set & reached:
                needed += 1
                reached |= open_set
        if needed > slots:
            return
        branch = open_sets[0]
        for position in range(len(self.ids)):
            bit = 1 << position
            if branch & bit and not self.slow & bit:
                remaining = list(deficits)
                for variant, units in self.stock_at[position]:
                    remaining[variant] -= units
                yield from self._covers(chosen | bit, remaining, slots - 1, banned)
                banned |= bit

    def _slower_than(self, days: int) -> int:
        mask = 0
        for position, location_id in enumerate(self.ids):
            if self.problem.days[location_id] > days:
                mask |= 1 << position
        return mask

    def _ids_of(self, cover: int) -> frozenset[str]:
        return frozenset(location_id for position, location_id in enumerate(self.ids) if cover >> position & 1)


def choose_locations(
    problem: Problem, node_budget: int = DEFAULT_NODE_BUDGET, objective: Objective = "fewest_packages"
) -> tuple[frozenset[str], bool]:
    """The locations that ship and whether the choice is proven optimal."""
    cover: CoverProblem = problem if objective == "fewest_packages" else FastestCover(problem)
    try:
        return _CoverSearch(cover, node_budget, prune_slower=cover is problem).best_cover(), True
    except _BudgetExceeded:
        return greedy_locations(cover), False


def greedy_locations(problem: CoverProblem) -> frozenset[str]:
    """Fallback for orders too large to search: add the location covering most of what is still missing."""
    deficits = {demand.variant_id: demand.target for demand in problem.demands}
    chosen: set[str] = set()
    while any(deficit > 0 for deficit in deficits.values()):

        def gain(location_id: str) -> int:
            return sum(
                min(demand.stock.get(location_id, 0), deficits[demand.variant_id])
                for demand in problem.demands
                if deficits[demand.variant_id] > 0
            )

        best = min(
            (location_id for location_id in problem.days if location_id not in chosen),
            key=lambda location_id: (-gain(location_id), problem.days[location_id], problem.preference(location_id)),
        )
        chosen.add(best)
        for demand in problem.demands:
            deficits[demand.variant_id] -= min(demand.stock.get(best, 0), max(deficits[demand.variant_id], 0))
    return frozenset(chosen)

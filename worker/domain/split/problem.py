"""The facts every stage of the planner shares, derived once from a SplitInput.

Lines of the same variant draw on the same stock but are otherwise independent, so demand is grouped by
variant: a set of locations can ship everything shippable exactly when, for each variant, its stock inside
the set reaches that variant's target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from worker.domain.split.model import OrderLine, SplitInput

CoverKey = tuple[int, int, tuple[int, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Demand:
    """What one variant needs: `target` is the most units of it any plan can ship now."""

    variant_id: int
    lines: tuple[OrderLine, ...]
    need: int
    stock: dict[str, int]
    target: int


class Problem:
    """An order reduced to what the search needs: reachable locations, demands, and how to rank a set."""

    def __init__(self, plan_input: SplitInput) -> None:
        self.input = plan_input
        country = plan_input.destination_country
        self.days: dict[str, int] = {}
        for location in plan_input.locations:
            days = location.delivery_days(country)
            if location.ships and days is not None:
                self.days[location.id] = days
        self.locations = {location.id: location for location in plan_input.locations}
        self.shipped_lines = tuple(line for line in plan_input.lines if line.requires_shipping and line.quantity > 0)
        self.unstocked_lines = tuple(line for line in self.shipped_lines if line.variant_id is None)
        self.demands = tuple(self._demands())
        self.shippable_units = sum(demand.target for demand in self.demands)
        self.keepable = self._keepable()

    def _demands(self) -> Iterable[Demand]:
        by_variant: dict[int, list[OrderLine]] = {}
        for line in self.shipped_lines:
            if line.variant_id is not None:
                by_variant.setdefault(line.variant_id, []).append(line)
        for variant_id, lines in by_variant.items():
            stock = {
                location_id: units
                for location_id, units in self.input.available.get(variant_id, {}).items()
                if units > 0 and location_id in self.days
            }
            need = sum(line.quantity for line in lines)
            yield Demand(variant_id, tuple(lines), need, stock, min(need, sum(stock.values())))

    def _keepable(self) -> dict[str, int]:
        """Units each location can keep of the current assignment; it adds up over any set of locations."""
        keepable = dict.fromkeys(self.days, 0)
        for demand in self.demands:
            for location_id, units in demand.stock.items():
                assigned = sum(
                    self.input.assigned.get(line.line_item_id, {}).get(location_id, 0) for line in demand.lines
                )
                keepable[location_id] += min(units, assigned)
        return keepable

    def preference(self, location_id: str) -> tuple[int, int, str]:
        """The order in which a set's locations take units the objective leaves free."""
        return (self.locations[location_id].priority, self.days[location_id], location_id)

    def cover_key(self, location_ids: Iterable[str]) -> CoverKey:
        """Rank a covering set after its size: latest delivery, units moved, priorities, then ids."""
        ids = sorted(location_ids)
        return (
            max((self.days[location_id] for location_id in ids), default=0),
            self.shippable_units - sum(self.keepable[location_id] for location_id in ids),
            tuple(sorted(self.locations[location_id].priority for location_id in ids)),
            tuple(ids),
        )

"""What the split planner takes in and hands back, checked once at the door so the search can trust it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

# The order in which plans are compared, after the most units shipped now:
# fewest_packages: fewest packages, then the earliest last delivery, then fewest units moved, then priority;
# fastest_per_item: least delivery days summed over the units, then fewest packages, then priority.
Objective = Literal["fewest_packages", "fastest_per_item"]


class SplitInputError(ValueError):
    """Input the planner cannot trust; the message names the offending field."""


@dataclass(frozen=True)
class Location:
    """A place that holds stock; lower priority numbers are preferred by the merchant."""

    id: str
    name: str
    country: str
    priority: int
    processing_days: int
    transit_days: Mapping[str, int]
    ships: bool = True

    def delivery_days(self, country: str) -> int | None:
        """Processing plus transit to `country` (else the "*" default); None when it cannot send there."""
        transit = self.transit_days.get(country, self.transit_days.get("*"))
        return None if transit is None else self.processing_days + transit


@dataclass(frozen=True)
class OrderLine:
    """An unfulfilled line; `quantity` counts only the units still to fulfil."""

    line_item_id: int
    variant_id: int | None
    quantity: int
    requires_shipping: bool = True
    title: str = ""


@dataclass(frozen=True)
class SplitInput:
    """One order to plan: `available` is variant -> location -> units, `assigned` line -> location -> units."""

    lines: tuple[OrderLine, ...]
    locations: tuple[Location, ...]
    available: Mapping[int, Mapping[str, int]]
    destination_country: str
    assigned: Mapping[int, Mapping[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_locations(self.locations)
        _check_lines(self.lines)
        known = {location.id for location in self.locations}
        for variant_id, stock in self.available.items():
            _check_units(f"available[{variant_id}]", stock, known)
        quantities = {line.line_item_id: line.quantity for line in self.lines}
        for line_item_id, placed in self.assigned.items():
            _check_units(f"assigned[{line_item_id}]", placed, known)
            if line_item_id not in quantities:
                raise SplitInputError(f"assigned[{line_item_id}]: not a line of this order")
            if sum(placed.values()) > quantities[line_item_id]:
                raise SplitInputError(
                    f"assigned[{line_item_id}]: {sum(placed.values())} units assigned but the line has "
                    f"{quantities[line_item_id]} to fulfil"
                )


def _check_locations(locations: tuple[Location, ...]) -> None:
    seen: set[str] = set()
    for location in locations:
        if location.id in seen:
            raise SplitInputError(f"location {location.id}: listed twice")
        seen.add(location.id)
        if location.processing_days < 0:
            raise SplitInputError(f"location {location.id}: processing_days must not be negative")
        for country, days in location.transit_days.items():
            if days < 0:
                raise SplitInputError(f"location {location.id}: transit_days[{country}] must not be negative")


def _check_lines(lines: tuple[OrderLine, ...]) -> None:
    seen: set[int] = set()
    for line in lines:
        if line.line_item_id in seen:
            raise SplitInputError(f"line item {line.line_item_id}: listed twice")
        seen.add(line.line_item_id)
        if line.quantity < 0:
            raise SplitInputError(f"line item {line.line_item_id}: quantity must not be negative")


def _check_units(where: str, units: Mapping[str, int], known: set[str]) -> None:
    for location_id, quantity in units.items():
        if location_id not in known:
            raise SplitInputError(f"{where}: unknown location {location_id}")
        if quantity < 0:
            raise SplitInputError(f"{where}[{location_id}]: quantity must not be negative")


@dataclass(frozen=True)
class ShipmentLine:
    line_item_id: int
    quantity: int


@dataclass(frozen=True)
class Shipment:
    """One package: what a location sends, when it should arrive, and why this location."""

    location_id: str
    location_name: str
    estimated_delivery_days: int
    lines: tuple[ShipmentLine, ...]
    why: str


@dataclass(frozen=True)
class Backorder:
    """Units no location can send now, with the reason a merchant can act on."""

    line_item_id: int
    quantity: int
    reason: str


@dataclass(frozen=True)
class SplitPlan:
    """The decision; `optimal` is False only when the order was too large to search exhaustively."""

    shipments: tuple[Shipment, ...]
    backorders: tuple[Backorder, ...]
    optimal: bool
    units_moved: int
    plan_hash: str

    @property
    def packages(self) -> int:
        return len(self.shipments)

    @property
    def estimated_delivery_days(self) -> int | None:
        """When the last package should arrive; None when nothing ships."""
        return max((shipment.estimated_delivery_days for shipment in self.shipments), default=None)

"""The next step that brings an order's fulfillment orders in Shopify closer to its split plan.

Shopify's split and partial moves are not idempotent: run twice, they split twice. So nothing is remembered
between steps: before each mutation the fulfillment orders are read again and only what is still missing is
done. A run cut short (a crash, a timeout after Shopify acted) is finished by the next run, never repeated.
Units go to their planned location first; the units that must wait for stock are then held
(INVENTORY_OUT_OF_STOCK), so everything that is ready ships at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from worker.domain.ids import legacy_id

HOLD_REASON = "INVENTORY_OUT_OF_STOCK"
HOLD_NOTE_MAX_CHARS = 256


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str  # FulfillmentOrderLineItem gid: what move/split/hold take
    line_item_id: int
    variant_id: int | None
    remaining_quantity: int


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str  # lower case: open, in_progress, on_hold, scheduled, closed, ...
    location_id: int | None
    lines: tuple[FulfillmentOrderLine, ...]


@dataclass(frozen=True)
class Move:
    fulfillment_order_id: str
    location_id: str
    lines: dict[str, int]  # fulfillment order line gid -> units

    def describe(self) -> dict[str, Any]:
        return {
            "step": "move",
            "fulfillment_order": self.fulfillment_order_id,
            "to": self.location_id,
            "lines": self.lines,
        }


@dataclass(frozen=True)
class Hold:
    fulfillment_order_id: str
    lines: dict[str, int]

    def note(self, hold_note: str) -> str | None:
        """The merchant's note on the hold, cut to what Shopify keeps."""
        return hold_note[:HOLD_NOTE_MAX_CHARS] or None

    def describe(self) -> dict[str, Any]:
        return {"step": "hold", "fulfillment_order": self.fulfillment_order_id, "lines": self.lines}


@dataclass(frozen=True)
class Finished:
    state: str  # applied, stale (the order changed since planning), needs_release (planned units are on hold)
    detail: str = ""


def next_step(
    plan: Mapping[str, Any], scope: frozenset[str], fulfillment_orders: Sequence[FulfillmentOrder]
) -> Move | Hold | Finished:
    """What is still missing between Shopify's fulfillment orders (at the plan's locations) and the plan."""
    target: dict[tuple[int, str], int] = {}
    for shipment in plan["shipments"]:
        for line in shipment["lines"]:
            target[(line["line_item_id"], str(shipment["location_id"]))] = line["quantity"]
    waiting = {backorder["line_item_id"]: backorder["quantity"] for backorder in plan["backorders"]}
    in_scope = sorted(
        (fo for fo in fulfillment_orders if str(fo.location_id) in scope), key=lambda fo: legacy_id(fo.id)
    )
    open_orders = [fo for fo in in_scope if fo.status == "open"]
    placed: dict[tuple[int, str], int] = {}
    held: dict[int, int] = {}
    for fo in in_scope:
        for fo_line in fo.lines:
            if fo.status == "open":
                key = (fo_line.line_item_id, str(fo.location_id))
                placed[key] = placed.get(key, 0) + fo_line.remaining_quantity
            elif fo.status == "on_hold":
                held[fo_line.line_item_id] = held.get(fo_line.line_item_id, 0) + fo_line.remaining_quantity
    for line_item_id in sorted({line for line, _ in target} | set(waiting)):
        planned = sum(units for (line, _), units in target.items() if line == line_item_id) + waiting.get(
            line_item_id, 0
        )
        found = sum(units for (line, _), units in placed.items() if line == line_item_id) + held.get(line_item_id, 0)
        if planned != found:
            return Finished("stale", f"line {line_item_id}: planned {planned} units, Shopify has {found} waiting")
    surplus = {key: units - target.get(key, 0) for key, units in placed.items() if units > target.get(key, 0)}
    deficit = {key: units - placed.get(key, 0) for key, units in target.items() if units > placed.get(key, 0)}
    move = _first_move(open_orders, surplus, deficit)
    if move is not None:
        return move
    if deficit:
        return Finished("needs_release", "units planned to ship are on hold; release the hold in Shopify to ship them")
    to_hold = {line: units - held.get(line, 0) for line, units in waiting.items() if units > held.get(line, 0)}
    hold = _first_hold(open_orders, surplus, to_hold)
    return hold if hold is not None else Finished("applied")


def _first_move(
    open_orders: list[FulfillmentOrder], surplus: dict[tuple[int, str], int], deficit: dict[tuple[int, str], int]
) -> Move | None:
    """Units assigned where the plan does not ship them, sent where the plan is short of them: one fulfillment
    order to one destination per step, with every line it can send there."""
    destinations = sorted({location for _, location in deficit})
    for fo in open_orders:
        for destination in destinations:
            lines = _units(fo, surplus, _at(deficit, destination))
            if lines:
                return Move(fo.id, destination, lines)
    return None


def _first_hold(
    open_orders: list[FulfillmentOrder], surplus: dict[tuple[int, str], int], to_hold: dict[int, int]
) -> Hold | None:
    for fo in open_orders:
        lines = _units(fo, surplus, to_hold)
        if lines:
            return Hold(fo.id, lines)
    return None


def _at(units: Mapping[tuple[int, str], int], location: str) -> dict[int, int]:
    """Units by line item at one location."""
    return {line: count for (line, at), count in units.items() if at == location}


def _units(fo: FulfillmentOrder, surplus: Mapping[tuple[int, str], int], wanted: Mapping[int, int]) -> dict[str, int]:
    """Of each fulfillment order line, the units its location holds beyond the plan that are wanted elsewhere."""
    spare = _at(surplus, str(fo.location_id))
    lines = {}
    for fo_line in fo.lines:
        units = min(fo_line.remaining_quantity, spare.get(fo_line.line_item_id, 0), wanted.get(fo_line.line_item_id, 0))
        if units > 0:
            lines[fo_line.id] = units
    return lines


def step_limit(plan: Mapping[str, Any]) -> int:
    """Each step settles at least one unit, so a plan is reached within this many steps."""
    units = sum(int(line["quantity"]) for shipment in plan["shipments"] for line in shipment["lines"])
    return 2 * (units + sum(int(backorder["quantity"]) for backorder in plan["backorders"])) + 2

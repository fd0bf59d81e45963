"""Build a SplitInput from Shopify's REST order JSON and an inventory document; render a plan as JSON.

The inventory document: {"locations": [{id, name, country, priority, processing_days, transit_days, ships?}],
"available": {variant_id: {location_id: units}}, "assigned"?: {line_item_id: {location_id: units}}}.
A line's `fulfillable_quantity`, when present, is what is left to plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from worker.domain.split.model import Location, OrderLine, SplitInput, SplitInputError, SplitPlan


def plan_input_from_json(order: Mapping[str, Any], inventory: Mapping[str, Any]) -> SplitInput:
    order = _mapping(order, "order")
    inventory = _mapping(inventory, "inventory")
    lines = tuple(
        _line(item, f"order.line_items[{index}]")
        for index, item in enumerate(_list(_field(order, "line_items", "order"), "order.line_items"))
    )
    country = ""
    if any(line.requires_shipping and line.quantity > 0 for line in lines):
        address = _mapping(_field(order, "shipping_address", "order"), "order.shipping_address")
        country = _text(
            _field(address, "country_code", "order.shipping_address"), "order.shipping_address.country_code"
        )
    locations = tuple(
        _location(item, f"inventory.locations[{index}]")
        for index, item in enumerate(_list(_field(inventory, "locations", "inventory"), "inventory.locations"))
    )
    return SplitInput(
        lines=lines,
        locations=locations,
        available=_units_by_id(_field(inventory, "available", "inventory"), "inventory.available"),
        destination_country=country,
        assigned=_units_by_id(inventory.get("assigned", {}), "inventory.assigned"),
    )


def plan_to_json(plan: SplitPlan) -> dict[str, Any]:
    """The plan as JSON-ready values, in the shape the CLI prints and the worker stores."""
    return {
        "packages": plan.packages,
        "optimal": plan.optimal,
        "estimated_delivery_days": plan.estimated_delivery_days,
        "plan_hash": plan.plan_hash,
        "shipments": [
            {
                "location_id": shipment.location_id,
                "location_name": shipment.location_name,
                "estimated_delivery_days": shipment.estimated_delivery_days,
                "lines": [{"line_item_id": line.line_item_id, "quantity": line.quantity} for line in shipment.lines],
                "why": shipment.why,
            }
            for shipment in plan.shipments
        ],
        "backorders": [
            {"line_item_id": backorder.line_item_id, "quantity": backorder.quantity, "reason": backorder.reason}
            for backorder in plan.backorders
        ],
    }


def _line(item: Any, where: str) -> OrderLine:
    item = _mapping(item, where)
    variant_id = _field(item, "variant_id", where)
    quantity = _count(_field(item, "quantity", where), f"{where}.quantity")
    if "fulfillable_quantity" in item:
        quantity = _count(item["fulfillable_quantity"], f"{where}.fulfillable_quantity")
    return OrderLine(
        line_item_id=_integer(_field(item, "id", where), f"{where}.id"),
        variant_id=None if variant_id is None else _integer(variant_id, f"{where}.variant_id"),
        quantity=quantity,
        requires_shipping=_flag(_field(item, "requires_shipping", where), f"{where}.requires_shipping"),
        title=str(item.get("name") or item.get("title") or ""),
    )


def _location(item: Any, where: str) -> Location:
    item = _mapping(item, where)
    transit = _mapping(_field(item, "transit_days", where), f"{where}.transit_days")
    return Location(
        id=_text(_field(item, "id", where), f"{where}.id"),
        name=_text(_field(item, "name", where), f"{where}.name"),
        country=_text(_field(item, "country", where), f"{where}.country"),
        priority=_integer(_field(item, "priority", where), f"{where}.priority"),
        processing_days=_count(_field(item, "processing_days", where), f"{where}.processing_days"),
        transit_days={
            _text(country, f"{where}.transit_days"): _count(days, f"{where}.transit_days.{country}")
            for country, days in transit.items()
        },
        ships=_flag(item.get("ships", True), f"{where}.ships"),
    )


def _units_by_id(value: Any, where: str) -> dict[int, dict[str, int]]:
    units: dict[int, dict[str, int]] = {}
    for key, by_location in _mapping(value, where).items():
        if not str(key).isdigit():
            raise SplitInputError(f"{where}: key {key!r} is not a numeric id")
        units[int(key)] = {
            str(location_id): _count(quantity, f"{where}[{key}][{location_id}]")
            for location_id, quantity in _mapping(by_location, f"{where}[{key}]").items()
        }
    return units


def _field(container: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in container:
        raise SplitInputError(f"{where}: missing key {key!r}")
    return container[key]


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SplitInputError(f"{where}: expected an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SplitInputError(f"{where}: expected a list")
    return value


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SplitInputError(f"{where}: expected an integer, got {value!r}")
    return value


def _count(value: Any, where: str) -> int:
    number = _integer(value, where)
    if number < 0:
        raise SplitInputError(f"{where}: must not be negative, got {number}")
    return number


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SplitInputError(f"{where}: expected a non-empty string")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SplitInputError(f"{where}: expected true or false")
    return value

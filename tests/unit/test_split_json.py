"""Reading Shopify's order JSON and the inventory document; writing the plan back as JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from worker.domain.split import OrderLine, SplitInputError, plan_input_from_json, plan_split, plan_to_json

FIXTURES = Path(__file__).parents[1] / "fixtures" / "split"


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


ORDER = load("order_fr_customer.json")
INVENTORY = load("inventory_us_china.json")


def test_a_shopify_order_becomes_lines_with_their_unfulfilled_quantity_and_country() -> None:
    plan_input = plan_input_from_json(ORDER, INVENTORY)

    assert plan_input.destination_country == "FR"
    assert plan_input.lines == (
        OrderLine(466157049, 39072856, 1, True, "Star night light - Blue"),
        OrderLine(518995019, 39072857, 2, True, "Moon plush - Large"),
        OrderLine(930000001, 39072899, 1, False, "Gift card - $25"),
    )
    assert plan_input.available[39072857] == {"gid://shopify/Location/2": 4, "gid://shopify/Location/3": 2}
    assert [location.ships for location in plan_input.locations] == [True, True, False]


def test_a_partly_fulfilled_line_plans_only_what_is_left() -> None:
    order = copy.deepcopy(ORDER)
    order["line_items"][1]["fulfillable_quantity"] = 1

    assert plan_input_from_json(order, INVENTORY).lines[1].quantity == 1


def test_the_current_assignment_is_read_from_the_inventory_document() -> None:
    inventory = copy.deepcopy(INVENTORY)
    inventory["assigned"] = {"518995019": {"gid://shopify/Location/2": 2}}

    assert plan_input_from_json(ORDER, inventory).assigned == {518995019: {"gid://shopify/Location/2": 2}}


def test_a_line_is_named_by_its_name_else_its_title_and_a_custom_item_has_no_variant() -> None:
    order = copy.deepcopy(ORDER)
    custom = {"id": 930000002, "variant_id": None, "quantity": 1, "requires_shipping": True}
    order["line_items"] = [
        {**custom, "name": "Engraved star - Ava", "title": "Engraved star"},
        {**custom, "id": 930000003, "title": "Engraved star"},
        {**custom, "id": 930000004},
    ]

    lines = plan_input_from_json(order, INVENTORY).lines

    assert [(line.title, line.variant_id) for line in lines] == [
        ("Engraved star - Ava", None),
        ("Engraved star", None),
        ("", None),
    ]


def test_an_order_whose_shipped_lines_are_all_fulfilled_needs_no_shipping_address() -> None:
    order = {"line_items": [{**line, "fulfillable_quantity": 0} for line in ORDER["line_items"]]}

    assert plan_to_json(plan_split(plan_input_from_json(order, INVENTORY)))["packages"] == 0


def test_an_order_with_nothing_to_ship_needs_no_shipping_address() -> None:
    order = {"line_items": [ORDER["line_items"][2]]}

    assert plan_to_json(plan_split(plan_input_from_json(order, INVENTORY)))["packages"] == 0


def broken(document: dict[str, Any], path: list[Any], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("order", "inventory", "message"),
    [
        pytest.param(
            broken(ORDER, ["line_items"], delete=True), INVENTORY, "order: missing key 'line_items'", id="no line items"
        ),
        pytest.param(
            broken(ORDER, ["shipping_address"], delete=True),
            INVENTORY,
            "order: missing key 'shipping_address'",
            id="shipping lines without an address",
        ),
        pytest.param(
            broken(ORDER, ["line_items", 0, "quantity"], -1),
            INVENTORY,
            "order.line_items[0].quantity: must not be negative, got -1",
            id="negative quantity",
        ),
        pytest.param(
            broken(ORDER, ["line_items", 0, "variant_id"], "39072856"),
            INVENTORY,
            "order.line_items[0].variant_id: expected an integer, got '39072856'",
            id="variant as text",
        ),
        pytest.param(
            broken(ORDER, ["line_items", 0, "requires_shipping"], 1),
            INVENTORY,
            "order.line_items[0].requires_shipping: expected true or false",
            id="number for a flag",
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["locations", 0, "transit_days"], delete=True),
            "inventory.locations[0]: missing key 'transit_days'",
            id="location without transit days",
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["available", "39072856", "gid://shopify/Location/9"], 1),
            "available[39072856]: unknown location gid://shopify/Location/9",
            id="unknown location",
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["available", "SKU-1"], {}),
            "inventory.available: key 'SKU-1' is not a numeric id",
            id="available keyed by sku",
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["available", "39072856", "gid://shopify/Location/1"], -3),
            "inventory.available[39072856][gid://shopify/Location/1]: must not be negative, got -3",
            id="negative stock",
        ),
        pytest.param(ORDER, [], "inventory: expected an object", id="inventory not an object"),
        pytest.param([], INVENTORY, "order: expected an object", id="order not an object"),
        pytest.param(
            broken(ORDER, ["shipping_address"], "12 rue de la Paix, Paris"),
            INVENTORY,
            "order.shipping_address: expected an object",
            id="address as text",
        ),
        pytest.param(
            broken(ORDER, ["shipping_address", "country_code"], delete=True),
            INVENTORY,
            "order.shipping_address: missing key 'country_code'",
            id="address without a country",
        ),
        pytest.param(
            broken(ORDER, ["shipping_address", "country_code"], ""),
            INVENTORY,
            "order.shipping_address.country_code: expected a non-empty string",
            id="empty country",
        ),
        pytest.param(broken(ORDER, ["line_items"], {}), INVENTORY, "order.line_items: expected a list", id="lines"),
        pytest.param(
            broken(ORDER, ["line_items", 0], 466157049), INVENTORY, "order.line_items[0]: expected an object", id="line"
        ),
        *[
            pytest.param(
                broken(ORDER, ["line_items", 0, key], delete=True),
                INVENTORY,
                f"order.line_items[0]: missing key '{key}'",
                id=f"line without {key}",
            )
            for key in ("id", "variant_id", "quantity", "requires_shipping")
        ],
        pytest.param(
            broken(ORDER, ["line_items", 0, "id"], "466157049"),
            INVENTORY,
            "order.line_items[0].id: expected an integer, got '466157049'",
            id="line id as text",
        ),
        pytest.param(
            broken(ORDER, ["line_items", 0, "quantity"], "1"),
            INVENTORY,
            "order.line_items[0].quantity: expected an integer, got '1'",
            id="quantity as text",
        ),
        pytest.param(
            broken(ORDER, ["line_items", 1, "fulfillable_quantity"], -1),
            INVENTORY,
            "order.line_items[1].fulfillable_quantity: must not be negative, got -1",
            id="negative fulfillable quantity",
        ),
        pytest.param(
            ORDER, broken(INVENTORY, ["locations", 0], "US"), "inventory.locations[0]: expected an object", id="place"
        ),
        *[
            pytest.param(
                ORDER,
                broken(INVENTORY, ["locations", 0, key], delete=True),
                f"inventory.locations[0]: missing key '{key}'",
                id=f"location without {key}",
            )
            for key in ("id", "name", "country", "priority", "processing_days")
        ],
        *[
            pytest.param(
                ORDER,
                broken(INVENTORY, ["locations", 0, key], value),
                f"inventory.locations[0].{key}: {problem}",
                id=f"location {key} {value!r}",
            )
            for key, value, problem in (
                ("id", "", "expected a non-empty string"),
                ("name", 1, "expected a non-empty string"),
                ("country", None, "expected a non-empty string"),
                ("priority", "1", "expected an integer, got '1'"),
                ("processing_days", -1, "must not be negative, got -1"),
                ("transit_days", [12], "expected an object"),
                ("ships", "no", "expected true or false"),
            )
        ],
        pytest.param(
            ORDER,
            broken(INVENTORY, ["locations", 0, "transit_days", "FR"], -12),
            "inventory.locations[0].transit_days.FR: must not be negative, got -12",
            id="negative transit",
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["locations", 0, "transit_days", ""], 12),
            "inventory.locations[0].transit_days: expected a non-empty string",
            id="transit to no country",
        ),
        pytest.param(
            ORDER, broken(INVENTORY, ["available"], []), "inventory.available: expected an object", id="stock"
        ),
        pytest.param(
            ORDER, broken(INVENTORY, ["available"], delete=True), "inventory: missing key 'available'", id="no stock"
        ),
        pytest.param(
            ORDER, broken(INVENTORY, ["locations"], {}), "inventory.locations: expected a list", id="locations"
        ),
        pytest.param(
            ORDER, broken(INVENTORY, ["assigned"], []), "inventory.assigned: expected an object", id="assignment"
        ),
        pytest.param(
            ORDER,
            broken(INVENTORY, ["available", "39072856"], 5),
            "inventory.available[39072856]: expected an object",
            id="stock of a variant as one number",
        ),
    ],
)
def test_malformed_documents_are_refused_with_the_field_named(order: Any, inventory: Any, message: str) -> None:
    with pytest.raises(SplitInputError) as refused:
        plan_input_from_json(order, inventory)

    assert str(refused.value) == message


def test_the_plan_json_has_the_contract_keys_in_order() -> None:
    rendered = plan_to_json(plan_split(plan_input_from_json(ORDER, INVENTORY)))

    assert list(rendered) == ["packages", "optimal", "estimated_delivery_days", "plan_hash", "shipments", "backorders"]
    assert list(rendered["shipments"][0]) == ["location_id", "location_name", "estimated_delivery_days", "lines", "why"]
    assert json.loads(json.dumps(rendered)) == rendered

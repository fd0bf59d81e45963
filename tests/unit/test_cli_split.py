"""`shopworker split plan`: the printed plan and the one-line refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config.policies import POLICY_DIR
from worker.cli import cli, split

FIXTURES = Path(__file__).parents[1] / "fixtures" / "split"
ORDER_FR = str(FIXTURES / "order_fr_customer.json")
ORDER_US = str(FIXTURES / "order_us_customer.json")
INVENTORY = str(FIXTURES / "inventory_us_china.json")

Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    cli.add_command(split.group)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, ["split", "plan", *args])


def test_a_french_customer_gets_one_package_from_china(run: Run) -> None:
    result = run("--order", ORDER_FR, "--inventory", INVENTORY)

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert {key: plan[key] for key in ("packages", "optimal", "estimated_delivery_days", "backorders")} == {
        "packages": 1,
        "optimal": True,
        "estimated_delivery_days": 9,
        "backorders": [],
    }
    assert plan["shipments"] == [
        {
            "location_id": "gid://shopify/Location/2",
            "location_name": "China",
            "estimated_delivery_days": 9,
            "lines": [{"line_item_id": 466157049, "quantity": 1}, {"line_item_id": 518995019, "quantity": 2}],
            "why": 'one package instead of two; only location with stock of "Moon plush - Large"',
        }
    ]


def test_an_american_customer_gets_two_packages_and_a_backorder(run: Run) -> None:
    plan = json.loads(run("--order", ORDER_US, "--inventory", INVENTORY).stdout)

    assert plan["packages"] == 2
    assert plan["estimated_delivery_days"] == 12
    assert [(s["location_name"], s["estimated_delivery_days"], s["lines"]) for s in plan["shipments"]] == [
        ("US", 5, [{"line_item_id": 466157049, "quantity": 1}, {"line_item_id": 703073504, "quantity": 1}]),
        ("China", 12, [{"line_item_id": 518995019, "quantity": 1}]),
    ]
    assert plan["backorders"] == [{"line_item_id": 821345678, "quantity": 1, "reason": "no stock at any location"}]


def test_planning_the_same_order_twice_prints_the_same_hash(run: Run) -> None:
    first = json.loads(run("--order", ORDER_FR, "--inventory", INVENTORY).stdout)
    second = json.loads(run("--order", ORDER_FR, "--inventory", INVENTORY).stdout)

    assert first["plan_hash"] == second["plan_hash"]


def star_and_moon_to_the_us(tmp_path: Path) -> str:
    """The American order without its US-only and custom lines: both remaining items are stocked in China."""
    order = json.loads(Path(ORDER_US).read_text())
    order["line_items"] = [item for item in order["line_items"] if item["id"] in (466157049, 518995019)]
    return write(tmp_path, "order.json", json.dumps(order))


@pytest.mark.parametrize(
    ("store", "shipments"),
    [
        pytest.param(
            "little-twinkle-stars",
            [("US", [466157049]), ("China", [518995019])],
            id="little-twinkle-stars: fulfilled at the location that can ship it to you the fastest",
        ),
        pytest.param("starlow", [("China", [466157049, 518995019])], id="starlow: silent, so the fewest packages"),
        pytest.param(None, [("China", [466157049, 518995019])], id="without --store: the fewest packages"),
    ],
)
def test_the_store_objective_decides_between_speed_and_fewer_packages(
    run: Run, tmp_path: Path, store: str | None, shipments: list[tuple[str, list[int]]]
) -> None:
    arguments = ["--order", star_and_moon_to_the_us(tmp_path), "--inventory", INVENTORY]
    result = run(*arguments, *(["--store", store] if store else []))

    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [(s["location_name"], [ln["line_item_id"] for ln in s["lines"]]) for s in plan["shipments"]] == shipments


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def edited_inventory(tmp_path: Path, location: str, units: int) -> str:
    inventory = json.loads(Path(INVENTORY).read_text())
    inventory["available"]["39072856"][location] = units
    return write(tmp_path, "inventory.json", json.dumps(inventory))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            lambda tmp: ["--order", str(tmp / "missing.json"), "--inventory", INVENTORY],
            "error: cannot read {tmp}/missing.json: No such file or directory",
            id="missing file",
        ),
        pytest.param(
            lambda tmp: ["--order", write(tmp, "bad.json", "{"), "--inventory", INVENTORY],
            "error: {tmp}/bad.json is not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
            id="bad JSON",
        ),
        pytest.param(
            lambda tmp: ["--order", write(tmp, "order.json", "{}"), "--inventory", INVENTORY],
            "error: order: missing key 'line_items'",
            id="missing keys",
        ),
        pytest.param(
            lambda tmp: ["--order", ORDER_FR, "--inventory", edited_inventory(tmp, "gid://shopify/Location/1", -1)],
            "error: inventory.available[39072856][gid://shopify/Location/1]: must not be negative, got -1",
            id="negative quantity",
        ),
        pytest.param(
            lambda tmp: ["--order", ORDER_FR, "--inventory", edited_inventory(tmp, "gid://shopify/Location/42", 1)],
            "error: available[39072856]: unknown location gid://shopify/Location/42",
            id="unknown location in available",
        ),
        pytest.param(lambda tmp: ["--order", ORDER_FR], "error: Missing option '--inventory'.", id="missing option"),
        pytest.param(
            lambda tmp: ["--order", ORDER_FR, "--inventory", INVENTORY, "--store", "nope"],
            "error: {policies}/nope.toml: no policy file for store 'nope' (known: charms-fr, layered-jewelry, "
            "little-twinkle-stars, starlightes, starlow)",
            id="unknown store",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(
    run: Run, tmp_path: Path, arguments: Callable[[Path], list[str]], message: str
) -> None:
    result = run(*arguments(tmp_path))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message.format(tmp=tmp_path, policies=POLICY_DIR) + "\n"

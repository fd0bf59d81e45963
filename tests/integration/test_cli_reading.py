"""The commands that only read the records: they need the database and nothing else, find it from any folder, name
orders as Shopify does (`#5001`) and take those names in every search, and print aligned columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support import FIXTURES, SHOP, Stack
from worker.cli import register

ORDER = FIXTURES / "orders" / "create" / "two_warehouses_to_france.json"
SHIPMENT = FIXTURES / "fulfillments" / "create" / "china_warehouse.json"


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    return replace(settings, shop_policies={SHOP: "little-twinkle-stars"})


@pytest.fixture
def read(settings):  # noqa: ANN001, ANN201
    """The command with the database's variables only: no webhook secret, no Redis."""
    env = {
        "SHOPIFY_API_SECRET": None,
        "SHOPIFY_API_SECRET_PREVIOUS": None,
        "REDIS_URL": None,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "SHOP_POLICIES": f"{SHOP}=little-twinkle-stars",
    }
    return lambda *args: CliRunner().invoke(register(), list(args), env=env)


def delivered(stack: Stack) -> None:
    """Order #5001, a shipment of it from March (late by now), and a return request for it."""
    stack.deliver("orders/create", ORDER.read_bytes(), "order-5001")
    stack.deliver("fulfillments/create", SHIPMENT.read_bytes(), "shipment-5001")
    request = {"id": 901, "status": "requested", "order": {"id": 5001}, "return_line_items": []}
    stack.deliver("returns/request", json.dumps(request).encode(), "return-901")
    other = {**json.loads(ORDER.read_text()), "id": 5002, "name": "#5002"}
    stack.deliver("orders/create", json.dumps(other).encode(), "order-5002")
    stack.work()


def test_events_are_listed_under_their_order_name_in_aligned_columns_without_the_webhook_secret(stack, read):
    delivered(stack)
    result = read("events", "list")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "received", "shop", "topic", "order", "status", "attempts", "last", "error"]
    assert [row.split()[5:7] for row in rows] == [  # received is a date and a time
        ["#5002", "processed"],
        ["#5001", "processed"],
        ["#5001", "processed"],
        ["#5001", "processed"],
    ]
    for row in rows:  # text columns start under their header, numbers end under it
        assert row[header.index("topic") :].startswith(row.split()[4])
        assert row[header.index("status") :].startswith("processed")
        assert row[: header.index("received")].rstrip().endswith(row.split()[0])
        assert row[: header.index("attempts") + len("attempts")].endswith(" 1")


def test_every_search_takes_an_order_name(stack, read):
    delivered(stack)
    events = read("events", "list", "--order", "#5001")
    assert events.exit_code == 0, events.output
    assert [row.split()[4] for row in events.stdout.splitlines()[1:]] == [
        "returns/request",
        "fulfillments/create",
        "orders/create",
    ]
    by_id = read("events", "list", "--order", "5001")
    assert by_id.stdout == events.stdout
    returns = read("returns", "list", "--order", "#5001")
    assert returns.exit_code == 0, returns.output
    (row,) = returns.stdout.splitlines()[1:]
    assert row.split()[:4] == ["901", SHOP, "#5001", "needs_details"]
    assert read("returns", "list", "--order", "#5002").stdout == ""
    late = read("late", "report", "--order", "#5001", "--now", "2026-06-01T12:00:00Z")
    assert late.exit_code == 0, late.output
    (row,) = late.stdout.splitlines()[1:]
    assert row.split()[:4] == [SHOP, "#5001", "7102", "escalated"]
    unknown = read("events", "list", "--order", "#9999")
    assert (unknown.exit_code, unknown.stderr) == (2, "error: no order named #9999 in the records\n")
    neither = read("returns", "list", "--order", "yesterday")
    assert neither.exit_code == 2
    assert neither.stderr == (
        "error: Invalid value for '--order': 'yesterday' is neither an order name such as #1001 nor an order id\n"
    )


def shopworker(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SHOPIFY_", "DATABASE_", "XDG_"))}
    return subprocess.run(
        [sys.executable, "-m", "worker", *args],
        env={**env, "HOME": str(home)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_default_database_is_the_same_from_any_folder_and_a_missing_one_is_one_line(tmp_path):
    home, first, second = tmp_path / "home", tmp_path / "first", tmp_path / "second"
    for folder in (home, first, second):
        folder.mkdir()
    database = home / ".local" / "share" / "shopworker" / "shopworker.db"

    missing = shopworker("returns", "list", cwd=first, home=home)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == (
        f"error: no records database at {database} yet (`shopworker serve` or `shopworker db upgrade` makes it), "
        "or set DATABASE_URL\n"
    )
    assert sorted(tmp_path.rglob("*")) == [first, home, second]  # nothing left behind

    made = shopworker("db", "upgrade", cwd=first, home=home)
    assert made.returncode == 0, made.stderr
    assert database.is_file()
    listed = shopworker("events", "list", cwd=second, home=home)
    assert (listed.returncode, listed.stdout, listed.stderr) == (0, "", "")
    assert sorted(path for path in tmp_path.rglob("*") if path.is_file() and home not in path.parents) == []

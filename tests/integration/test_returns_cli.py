"""`shopworker returns list` and `shopworker returns override` on the records the worker wrote."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner, Result

from tests.support import TEST_SECRET, Stack
from worker.cli import cli
from worker.cli.returns import group

SHOP = "starlow.myshopify.com"
cli.add_command(group)


def returned(stack: Stack, return_id: int, shop: str = SHOP) -> None:
    """A returns/request webhook for a shop without credentials: a record that needs details."""
    body = {"id": return_id, "status": "requested", "order": {"id": 6001}, "return_line_items": []}
    stack.deliver("returns/request", json.dumps(body).encode(), f"request:{shop}:{return_id}", shop=shop)
    stack.work()


@pytest.fixture
def settings(settings):  # noqa: ANN001, ANN201
    return replace(settings, default_policy="starlow")


@pytest.fixture
def shopworker(settings):  # noqa: ANN001, ANN201
    env = {
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
    }
    return lambda *args: CliRunner().invoke(cli, ["returns", *args], env=env)


def test_an_override_replaces_the_decision_and_keeps_who_when_why_and_what_it_replaced(stack, shopworker):
    returned(stack, 901)
    first: Result = shopworker("override", "901", "--decision", "approved", "--by", "Ana", "--why", "Loyal customer")
    second = shopworker(
        "override", "gid://shopify/Return/901", "--decision", "partial", "--by", "Ben", "--why", "Tags missing"
    )
    assert (first.exit_code, second.exit_code) == (0, 0), first.stderr + second.stderr
    assert first.stdout == f"return 901 ({SHOP}): none -> approved by Ana\n"
    record = stack.services.returns.get(SHOP, 901)
    assert (record.decision, record.status) == ("partial", "overridden")
    assert [(o["by"], o["why"], o["old_decision"], o["decision"]) for o in record.overrides] == [
        ("Ana", "Loyal customer", None, "approved"),
        ("Ben", "Tags missing", "approved", "partial"),
    ]
    assert all(o["at"] for o in record.overrides)


def test_a_later_webhook_never_undoes_a_staff_override(stack, shopworker):
    returned(stack, 902)
    assert shopworker("override", "902", "--decision", "declined", "--by", "Ana", "--why", "Worn").exit_code == 0
    stack.deliver("returns/request", json.dumps({"id": 902, "order": {"id": 6001}}).encode(), "replay", shop=SHOP)
    stack.deliver("returns/decline", json.dumps({"id": 902, "order_id": 6001}).encode(), "declined", shop=SHOP)
    stack.work()
    record = stack.services.returns.get(SHOP, 902)
    assert (record.decision, record.status, record.shopify_status) == ("declined", "overridden", "declined")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["404"], "error: no return record 404\n", id="unknown return id"),
        pytest.param(["abc"], "error: return id must be a number or a gid://shopify/Return/... id, got 'abc'\n",
                     id="not a return id"),
        pytest.param(["901", "--shop", "other.myshopify.com"], "error: no return record 901 for other.myshopify.com\n",
                     id="known id, other shop"),
    ],
)  # fmt: skip
def test_override_of_a_return_we_do_not_hold_exits_2_with_one_line(stack, shopworker, args, message):
    returned(stack, 901)
    result = shopworker("override", *args, "--decision", "approved", "--by", "Ana", "--why", "Because")
    assert (result.exit_code, result.stderr) == (2, message)


def test_override_needs_a_known_decision_and_a_reason(stack, shopworker):
    returned(stack, 901)
    bad_decision = shopworker("override", "901", "--decision", "maybe", "--by", "Ana", "--why", "x")
    no_reason = shopworker("override", "901", "--decision", "approved", "--by", "Ana", "--why", " ")
    assert (bad_decision.exit_code, no_reason.exit_code) == (2, 2)
    assert bad_decision.stderr.count("\n") == no_reason.stderr.count("\n") == 1
    assert stack.services.returns.get(SHOP, 901).overrides == []


def test_the_same_return_id_in_two_shops_needs_shop_to_override(stack, shopworker):
    returned(stack, 903)
    returned(stack, 903, shop="charms-fr.myshopify.com")
    ambiguous = shopworker("override", "903", "--decision", "approved", "--by", "Ana", "--why", "ok")
    chosen = shopworker("override", "903", "--decision", "approved", "--by", "Ana", "--why", "ok", "--shop", SHOP)
    assert ambiguous.exit_code == 2 and "give --shop" in ambiguous.stderr
    assert chosen.exit_code == 0


def test_list_prints_one_line_per_record_and_filters_by_shop_and_status(stack, shopworker):
    returned(stack, 904)
    returned(stack, 905, shop="charms-fr.myshopify.com")
    shopworker("override", "905", "--decision", "declined", "--by", "Ana", "--why", "Worn")
    everything = shopworker("list")
    overridden = shopworker("list", "--status", "overridden")
    starlow = shopworker("list", "--shop", SHOP)
    assert everything.exit_code == 0 and len(everything.stdout.splitlines()) == 3  # a header and two records
    header, line = overridden.stdout.splitlines()
    assert header.split() == [
        "return", "shop", "order", "status", "decision", "shopify", "stage", "policy", "by", "why"
    ]  # fmt: skip
    assert line.split()[:5] == ["905", "charms-fr.myshopify.com", "6001", "overridden", "declined"]
    assert line[header.index("by") :].startswith("Ana ")
    _header, line = starlow.stdout.splitlines()
    assert line.split()[:4] == ["904", "starlow.myshopify.com", "6001", "needs_details"] and "Admin API" in line


def test_list_shows_each_return_stage_and_filters_by_it(stack, shopworker):
    returned(stack, 906)
    returned(stack, 907)
    stack.deliver("returns/process", json.dumps({"id": 907}).encode(), "processed", shop=SHOP)
    stack.work()
    everything = shopworker("list")
    processed = shopworker("list", "--stage", "processed")
    refunded = shopworker("list", "--stage", "refunded")
    unknown = shopworker("list", "--stage", "shipped")
    header, *lines = everything.stdout.splitlines()
    stages = {line.split()[0]: line[header.index("stage") :].split()[0] for line in lines}
    assert stages == {"906": "-", "907": "processed"}
    assert [line.split()[0] for line in processed.stdout.splitlines()[1:]] == ["907"]
    assert (refunded.exit_code, refunded.stdout) == (0, "")
    assert unknown.exit_code == 2 and unknown.stderr.count("\n") == 1 and "awaiting_parcel" in unknown.stderr

"""How every command prints: help and version, aligned tables, one JSON layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from worker.cli import register
from worker.cli.output import print_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["events", "list", "-h"], ["late", "report", "-h"]])
def test_help_is_there_under_h_and_help_for_the_command_and_each_subcommand(args):
    result = CliRunner().invoke(register(), args)
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ") and "-h, --help" in result.stdout


def test_version_prints_the_installed_version():
    from importlib.metadata import version

    result = CliRunner().invoke(register(), ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"shopworker {version('shopworker')}\n")


def test_columns_are_as_wide_as_their_widest_cell_with_numbers_to_the_right(capsys):
    print_table(("id", "shop", "attempts", "error"), [(7, "a.myshopify.com", 1, None), (1234, "bb", 12, "boom")])
    assert capsys.readouterr().out.splitlines() == [
        "  id  shop             attempts  error",
        "   7  a.myshopify.com         1  -",
        "1234  bb                     12  boom",
    ]


def test_an_empty_table_prints_nothing(capsys):
    print_table(("id", "shop"), [])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "args",
    [
        ["late", "check", "--store", "starlow", "--shipped-at", "2024-11-01T15:00:00Z", "--now", "2024-12-04"],
        [
            "split",
            "plan",
            "--order",
            str(FIXTURES / "split" / "order_fr_customer.json"),
            "--inventory",
            str(FIXTURES / "split" / "inventory_us_china.json"),
        ],
        [
            "returns",
            "evaluate",
            "--store",
            "starlow",
            "--order",
            str(FIXTURES / "returns" / "order.json"),
            "--request",
            str(FIXTURES / "returns" / "request.json"),
            "--now",
            "2026-03-20T12:00:00Z",
        ],
    ],
    ids=["late check", "split plan", "returns evaluate"],
)
def test_every_command_prints_json_in_the_same_layout(args):
    result = CliRunner().invoke(register(), args)
    assert result.exit_code == 0, result.output
    assert result.stdout == json.dumps(json.loads(result.stdout), indent=2, ensure_ascii=False) + "\n"

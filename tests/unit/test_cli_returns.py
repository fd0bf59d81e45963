"""`shopworker returns evaluate`: a merchant's dry run prints one JSON decision, or one error line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from worker.cli import cli
from worker.cli.returns import group

FIXTURES = Path(__file__).parents[1] / "fixtures" / "returns"
cli.add_command(group)


def run(*args: str, store: str = "starlow", request: str = "request.json", order: str = "order.json") -> Result:
    base = [
        "returns",
        "evaluate",
        "--store",
        store,
        "--order",
        str(FIXTURES / order),
        "--request",
        str(FIXTURES / request),
        "--products",
        str(FIXTURES / "products.json"),
    ]
    return CliRunner().invoke(cli, [*base, *args])


def test_evaluate_prints_one_json_decision_and_exits_0() -> None:
    result = run()
    assert result.exit_code == 0, result.stderr
    decision = json.loads(result.stdout)
    assert (decision["store"], decision["decision"], decision["window"]) == (
        "starlow",
        "approved",
        {"anchor": "delivery", "starts": "2026-03-01", "ends": "2026-03-15"},
    )
    assert decision["lines"][0]["refund_amount"] == "45.00"


def test_evaluate_prints_what_the_refund_adds_up_to_next_to_the_lines() -> None:
    # Two dresses at 45.00 and three tees at 20.00 less 9.00 come back; the scarf is an accessory on final sale.
    decision = json.loads(run(request="request_whole_order.json").stdout)
    assert [line["decision"] for line in decision["lines"]] == ["approved", "declined", "approved"]
    nothing = {"currency": "USD", "items": "0.00", "tax": "0.00", "shipping": "0.00", "deductions": "0.00"}
    assert decision["refund"] == {**nothing, "items": "141.00", "total": "141.00"}
    assert decision["pending_review"] == {**nothing, "total": "0.00"}


def test_evaluate_runs_without_product_facts_and_sends_unknown_products_to_review() -> None:
    args = [
        "returns",
        "evaluate",
        "--store",
        "starlow",
        "--order",
        str(FIXTURES / "order.json"),
        "--request",
        str(FIXTURES / "request.json"),
    ]
    result = CliRunner().invoke(cli, args)
    assert json.loads(result.stdout)["lines"][0]["reasons"] == ["product_unknown"]


@pytest.mark.parametrize(
    ("now", "decision"),
    [
        pytest.param("2026-03-10T12:00:00Z", "review", id="inside the window the unknown condition needs a person"),
        pytest.param("2026-04-01T12:00:00+02:00", "declined", id="past the window nothing is left to inspect"),
    ],
)
def test_now_decides_the_window_when_the_request_has_no_date(now: str, decision: str) -> None:
    result = run("--now", now, request="request_from_shopify.json")
    assert json.loads(result.stdout)["decision"] == decision


def test_the_installed_command_exits_2_with_one_line_for_an_unknown_store() -> None:
    command = Path(sys.executable).parent / "shopworker"
    args = [
        str(command),
        "returns",
        "evaluate",
        "--store",
        "nope",
        "--order",
        str(FIXTURES / "order.json"),
        "--request",
        str(FIXTURES / "request.json"),
    ]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr.count("\n")) == (2, "", 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--store", "nope"], "no policy file for store 'nope'", id="unknown store"),
        pytest.param(["--order", "/no/such/order.json"], "order: cannot read /no/such/order.json", id="missing file"),
        pytest.param(["--products", str(FIXTURES.parent / "returns")], "products: cannot read", id="a directory"),
        pytest.param(["--now", "tomorrow"], "--now: 'tomorrow' is not an ISO-8601 date-time", id="bad --now"),
        pytest.param(["--colour", "red"], "No such option '--colour'", id="unknown option"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(args: list[str], message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_a_missing_option_exits_2_with_one_line_on_stderr() -> None:
    result = CliRunner().invoke(cli, ["returns", "evaluate", "--store", "starlow"])
    assert result.exit_code == 2
    assert result.stderr == "error: Missing option '--order'.\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{not json", "request: ", id="bad JSON"),
        pytest.param(
            '{"lines": [{"line_item_id": 1, "quantity": 1, "reason": "unwanted"}]}',
            "line item 1 is not in the order",
            id="unknown line item",
        ),
        pytest.param(
            '{"lines": [{"line_item_id": 466157049, "quantity": 1, "reason": "meh"}]}',
            "reason: 'meh' is not one of",
            id="bad enum value",
        ),
        pytest.param(
            '{"requested_at": "10/03/2026", "lines": [{"line_item_id": 466157049, "quantity": 1, "reason": "style"}]}',
            "requested_at: '10/03/2026' is not an ISO-8601",
            id="bad date",
        ),
        pytest.param('{"lines": []}', "lines must be a non-empty list", id="no lines"),
    ],
)
def test_bad_request_files_exit_2_with_one_line_on_stderr(tmp_path: Path, content: str, message: str) -> None:
    request = tmp_path / "request.json"
    request.write_text(content)
    result = run(request=str(request))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from worker.cli import cli, late

CONTRACT_KEYS = [
    "store",
    "calendar",
    "elapsed_business_days",
    "elapsed_calendar_days",
    "state",
    "late_after",
    "escalate_after",
    "day_kind",
]

Check = Callable[..., Result]


@pytest.fixture
def check() -> Check:
    cli.add_command(late.group)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, ["late", "check", *args])


def test_check_prints_the_contract_object(check: Check) -> None:
    result = check("--store", "starlow", "--shipped-at", "2024-11-01T15:00:00Z", "--now", "2024-12-04T20:00:00Z")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == CONTRACT_KEYS
    assert report == {
        "store": "starlow",
        "calendar": "US",
        "elapsed_business_days": 21,
        "elapsed_calendar_days": 33,
        "state": "on_time",
        "late_after": 21,
        "escalate_after": 30,
        "day_kind": "business",
    }


@pytest.mark.parametrize(
    ("store", "shipped_at", "now", "business", "calendar_days", "state"),
    [
        pytest.param(
            "little-twinkle-stars", "2024-11-01T15:00:00Z", "2024-12-05T17:00:00Z", 22, 34, "late",
            id="over 21 business days in transit: flag (possibly held at customs)",
        ),
        pytest.param(
            "little-twinkle-stars", "2024-11-01T15:00:00Z", "2024-12-18T17:00:00Z", 31, 47, "escalated",
            id="over 30 business days: escalate (open a case)",
        ),
        pytest.param(
            "charms-fr", "2025-07-11T10:00:00+02:00", "2025-07-15T12:00:00+02:00", 1, 4, "on_time",
            id="FR calendar: le 14 juillet is not a business day",
        ),
        pytest.param(
            "layered-jewelry", "2024-03-01T14:00:00Z", "2024-03-13T16:00:00Z", 8, 12, "on_time",
            id="day 12 is still inside the 6-12 day window",
        ),
        pytest.param(
            "layered-jewelry", "2024-03-01T14:00:00Z", "2024-03-14T16:00:00Z", 9, 13, "late",
            id="a delivery past the 12-day window is flagged for investigation",
        ),
        pytest.param(
            "starlightes", "2024-03-01T06:30:00", "2024-03-01T20:00:00Z", 1, 1, "on_time",
            id="a naive time is UTC: 06:30 UTC is the evening before in Seattle",
        ),
    ],
)  # fmt: skip
def test_check_follows_each_stores_rule_and_calendar(
    check: Check, store: str, shipped_at: str, now: str, business: int, calendar_days: int, state: str
) -> None:
    result = check("--store", store, "--shipped-at", shipped_at, "--now", now)

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["elapsed_business_days"], report["elapsed_calendar_days"], report["state"]) == (
        business,
        calendar_days,
        state,
    )


def test_a_delivery_stops_the_clock_and_reports_delivered(check: Check) -> None:
    result = check(
        "--store", "starlow",
        "--shipped-at", "2024-11-01T15:00:00Z",
        "--delivered-at", "2024-11-20T18:00:00Z",
        "--now", "2025-06-01T00:00:00Z",
    )  # fmt: skip

    report = json.loads(result.stdout)
    assert (report["state"], report["elapsed_business_days"], report["elapsed_calendar_days"]) == ("delivered", 12, 19)


def test_now_defaults_to_the_current_time(check: Check) -> None:
    result = check("--store", "starlow", "--shipped-at", "2020-01-01")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "escalated"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--store", "starlow", "--shipped-at", "yesterday"], id="a shipped-at that is not a date"),
        pytest.param(["--store", "starlow", "--shipped-at", "2024-11-01", "--now", "2024-13-01"], id="a bad now"),
        pytest.param(["--store", "nowhere", "--shipped-at", "2024-11-01"], id="an unknown store"),
        pytest.param(
            ["--store", "starlow", "--shipped-at", "2024-11-01", "--delivered-at", "2024-10-01"],
            id="delivered before shipped",
        ),
        pytest.param(["--store", "starlow"], id="no shipped-at"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(check: Check, args: list[str]) -> None:
    result = check(*args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr

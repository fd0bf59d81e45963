"""A policy file with a mistake is refused with the file, the key and the problem: a typo never drops a rule."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from config.policies import POLICY_DIR
from worker.domain.policy import PolicyError, parse_policy

VALID = tomllib.loads((POLICY_DIR / "starlightes.toml").read_text())

Change = Callable[[dict[str, Any]], None]


def _table(data: dict[str, Any], path: str) -> dict[str, Any]:
    for part in filter(None, path.split(".")):
        data = data[part]
    return data


def setting(table: str, key: str, value: Any) -> Change:
    return lambda data: _table(data, table).__setitem__(key, value)


def removing(table: str, key: str) -> Change:
    return lambda data: _table(data, table).__delitem__(key)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(setting("returns", "windw_days", 14), r"\[returns\] windw_days: unknown key", id="a typo"),
        pytest.param(setting("", "retruns", {}), r"retruns: unknown key", id="a misspelt table"),
        pytest.param(removing("returns", "window_days"), r"\[returns\] window_days: missing", id="a missing key"),
        pytest.param(removing("", "store"), r"store: missing; expected a table", id="a missing table"),
        pytest.param(
            setting("returns", "window_days", "25"),
            r"window_days: expected a whole number",
            id="a number written as text",
        ),
        pytest.param(
            setting("returns", "window_days", True), r"window_days: expected a whole number", id="true is not a number"
        ),
        pytest.param(
            setting("returns", "window_days", 0), r"window_days: expected a whole number >= 1", id="an empty window"
        ),
        pytest.param(
            setting("returns", "anchor", "order"),
            r"anchor: 'order' is not one of delivery, fulfillment",
            id="an unknown anchor",
        ),
        pytest.param(
            setting("returns", "return_shipping_paid_by", "store"),
            r"return_shipping_paid_by: 'store'",
            id="an unknown payer",
        ),
        pytest.param(
            setting("returns.requirements", "condition", ["mint"]),
            r"\[returns.requirements\] condition: unknown value mint",
            id="an unknown condition",
        ),
        pytest.param(
            setting("returns.requirements", "tags_attached", "yes"),
            r"tags_attached: expected true or false",
            id="a yes/no written as text",
        ),
        pytest.param(
            setting("returns.late_window", "until_day", 25),
            r"until_day: must be after the 25-day window",
            id="a late window inside the window",
        ),
        pytest.param(
            lambda d: d["returns"]["partial_refunds"][0].update(percent=100),
            r"\[returns.partial_refunds\[0\]\] percent: a partial refund is 1 to 99 percent",
            id="a partial refund of 100 percent",
        ),
        pytest.param(
            lambda d: d["returns"]["partial_refunds"][0].update(values=["original"]),
            r"'original' is already accepted in full",
            id="a partial case that is already accepted",
        ),
        pytest.param(
            setting("returns.exclusions", "max_discount_percent", 15.5),
            r"max_discount_percent: expected a whole number or a string",
            id="money as a float",
        ),
        pytest.param(
            setting("returns.exclusions", "max_discount_percent", "150"),
            r"max_discount_percent: a percentage is at most 100",
            id="a discount over 100 percent",
        ),
        pytest.param(
            setting("returns.exclusions", "product_types", "Swimwear"),
            r"product_types: expected a list of strings",
            id="a single type instead of a list",
        ),
        pytest.param(
            removing("returns.defects", "deadline_hours"),
            r"deadline_hours: is required exactly when deadline = \"hours\"",
            id="hours without a number",
        ),
        pytest.param(
            setting("returns.defects", "overrides", ["everything"]),
            r"overrides: unknown value everything",
            id="an unknown override",
        ),
        pytest.param(
            setting("returns.exchanges", "reasons", ["bored"]),
            r"reasons: unknown value bored",
            id="an unknown return reason",
        ),
        pytest.param(
            setting("store", "country", "XX"), r"\[store\] country: 'XX' is not one of", id="an unknown country"
        ),
        pytest.param(
            setting("store", "subdivision", "ZZ"),
            r"subdivision: 'ZZ' is not a subdivision of US",
            id="an unknown subdivision",
        ),
        pytest.param(
            setting("store", "timezone", "Mars/Olympus"),
            r"timezone: 'Mars/Olympus' is not an IANA",
            id="an unknown time zone",
        ),
        pytest.param(
            setting("late_delivery", "day_kind", "weekdays"),
            r"day_kind: 'weekdays' is not one of",
            id="an unknown day kind",
        ),
        pytest.param(
            setting("late_delivery", "escalate_after", 21),
            r"escalate_after: must be more than late_after",
            id="escalation before lateness",
        ),
        pytest.param(
            setting("late_delivery", "flag_reason", "  "),
            r"\[late_delivery\] flag_reason: expected one non-empty line of text",
            id="a blank flag text",
        ),
        pytest.param(
            setting("late_delivery", "case_action", "reship\nor refund"),
            r"case_action: expected one non-empty line of text",
            id="a case text over two lines",
        ),
        pytest.param(
            setting("late_delivery", "promise", 13),
            r"promise: expected a string",
            id="a promise that is not text",
        ),
        pytest.param(
            setting("", "split", {"objective": "cheapest"}),
            r"\[split\] objective: 'cheapest' is not one of fastest_per_item, fewest_packages",
            id="an unknown split objective",
        ),
        pytest.param(
            setting("", "split", {"objetcive": "fastest_per_item"}),
            r"\[split\] objetcive: unknown key",
            id="a misspelt split key",
        ),
        pytest.param(
            lambda d: (
                d["returns"]["defects"].update(deadline="lifetime", lifetime_warranty=True, deadline_hours=None)
                or d["returns"]["defects"].pop("deadline_hours")
            ),
            r"lifetime_warranty: needs a deadline after which it applies",
            id="a warranty that never starts",
        ),
        pytest.param(
            setting("returns.late_window", "reasons", ["color"]),
            r"\[returns.late_window\] reasons: unknown key",
            id="late-window reasons, which only a person can judge",
        ),
        pytest.param(
            setting("automation", "auto_approve", "yes"),
            r"\[automation\] auto_approve: expected true",
            id="an automation switch written as text",
        ),
    ],
)
def test_a_broken_policy_names_file_key_and_problem(change: Change, message: str) -> None:
    data = copy.deepcopy(VALID)
    change(data)
    with pytest.raises(PolicyError, match=r"^starlightes\.toml: .*" + message):
        parse_policy("starlightes", data, "v1")


def test_optional_tables_fall_back_to_the_house_defaults() -> None:
    data = copy.deepcopy(VALID)
    for table in ("late_delivery", "automation"):
        del data[table]
    del data["returns"]["exclusions"]
    policy = parse_policy("starlightes", data, "v1")
    assert (policy.late.late_after, policy.late.escalate_after, policy.auto_approve) == (21, 30, False)
    assert policy.returns.exclusions.final_sale_tags == frozenset()
    assert (policy.late_texts.flag_reason, policy.late_texts.case_action, policy.late_texts.promise) == (
        "possibly held at customs",
        "reship or refund",
        None,
    )
    assert policy.split_objective == "fewest_packages"


def test_tags_and_types_are_compared_in_lower_case() -> None:
    data = copy.deepcopy(VALID)
    data["returns"]["exclusions"].update(product_types=[" Swimwear "], max_discount_percent="15.5")
    exclusions = parse_policy("starlightes", data, "v1").returns.exclusions
    assert (exclusions.product_types, exclusions.max_discount_percent) == (frozenset({"swimwear"}), Decimal("15.5"))


def test_the_defects_table_is_read_as_written() -> None:
    data = copy.deepcopy(VALID)
    data["returns"]["defects"]["deadline_hours"] = 1

    defects = parse_policy("starlightes", data, "v1").returns.defects

    assert (defects.deadline, defects.deadline_hours, defects.overrides) == (
        "hours",
        1,
        frozenset({"final_sale", "customized"}),
    )


@pytest.mark.parametrize("percent", [1, 99])
def test_a_partial_refund_may_be_anything_from_1_to_99_percent(percent: int) -> None:
    data = copy.deepcopy(VALID)
    data["returns"]["late_window"]["percent"] = percent

    late_window = parse_policy("starlightes", data, "v1").returns.late_window

    assert late_window is not None and late_window.percent == percent


@pytest.mark.parametrize(
    ("table", "key", "value"), [("returns.late_window", "percent", 0), ("returns.defects", "deadline_hours", 0)]
)
def test_a_count_of_zero_is_refused_where_it_means_nothing(table: str, key: str, value: int) -> None:
    data = copy.deepcopy(VALID)
    setting(table, key, value)(data)

    with pytest.raises(
        PolicyError, match=rf"^starlightes\.toml: \[{table}\] {key}: expected a whole number >= 1, got 0$"
    ):
        parse_policy("starlightes", data, "v1")


def test_a_top_level_typo_is_named_without_a_table() -> None:
    data = copy.deepcopy(VALID)
    data["retruns"] = {}

    with pytest.raises(PolicyError, match=r"^starlightes\.toml: retruns: unknown key \(known: automation, "):
        parse_policy("starlightes", data, "v1")


def test_a_typo_in_a_table_lists_every_key_it_knows_even_those_left_out() -> None:
    data = copy.deepcopy(VALID)
    defects = data["returns"]["defects"]
    defects.update(deadline="return_window", requires_photo=True)
    del defects["deadline_hours"]

    with pytest.raises(PolicyError) as refused:
        parse_policy("starlightes", data, "v1")

    assert str(refused.value) == (
        "starlightes.toml: [returns.defects] requires_photo: unknown key (known: action, deadline, deadline_hours, "
        "lifetime_warranty, overrides, reasons, refund_original_shipping, requires_photos, return_shipping_paid_by)"
    )


def test_a_shipment_may_be_late_after_one_day_but_not_after_none() -> None:
    data = copy.deepcopy(VALID)
    data["late_delivery"].update(late_after=1, escalate_after=2)

    assert parse_policy("starlightes", data, "v1").late.late_after == 1

    data["late_delivery"]["late_after"] = 0
    with pytest.raises(PolicyError, match=r"\[late_delivery\] late_after: expected a whole number >= 1, got 0$"):
        parse_policy("starlightes", data, "v1")


REASONS = (
    "color, defective, not_as_described, other, size_too_large, size_too_small, style, unknown, unwanted, wrong_item"
)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            setting("returns", "postage_deduction", "4,90"),
            "[returns] postage_deduction: expected a number such as \"4.90\", got '4,90'",
            id="a comma for a decimal point",
        ),
        pytest.param(
            setting("returns", "postage_deduction", "-4.90"),
            "[returns] postage_deduction: expected a positive number, got '-4.90'",
            id="a negative deduction",
        ),
        pytest.param(
            setting("returns", "postage_deduction", "Infinity"),
            "[returns] postage_deduction: expected a positive number, got 'Infinity'",
            id="an endless deduction",
        ),
        pytest.param(
            setting("returns.exchanges", "reasons", ["color", " "]),
            "[returns.exchanges] reasons: expected a list of non-empty strings, got ['color', ' ']",
            id="a blank reason",
        ),
        pytest.param(
            setting("returns.exchanges", "reasons", ["colour", "sizing"]),
            f"[returns.exchanges] reasons: unknown value colour, sizing; expected any of {REASONS}",
            id="reasons misspelt",
        ),
        pytest.param(
            setting("returns", "anchor", 7),
            "[returns] anchor: expected one of delivery, fulfillment, got 7",
            id="an anchor that is not a word",
        ),
        pytest.param(
            lambda d: d["returns"]["partial_refunds"][0].update(values=["scratched"]),
            "[returns.partial_refunds[0]] values: unknown value scratched; expected any of ",
            id="a partial refund for a value the fact does not have",
        ),
    ],
)
def test_a_broken_value_is_refused_with_the_whole_message(change: Change, message: str) -> None:
    data = copy.deepcopy(VALID)
    change(data)

    with pytest.raises(PolicyError) as refused:
        parse_policy("starlightes", data, "v1")

    assert str(refused.value).startswith(f"starlightes.toml: {message}")


def test_a_late_window_is_read_as_written() -> None:
    late_window = parse_policy("starlightes", VALID, "v1").returns.late_window

    assert late_window is not None and (late_window.until_day, late_window.percent) == (30, 50)


def test_a_typo_in_the_returns_table_of_a_policy_without_a_late_window_lists_the_keys_it_knows() -> None:
    data = copy.deepcopy(VALID)
    del data["returns"]["late_window"]
    data["returns"]["windows_days"] = 25

    with pytest.raises(
        PolicyError, match=r"^starlightes\.toml: \[returns\] windows_days: unknown key \(known: .*late_window"
    ):
        parse_policy("starlightes", data, "v1")

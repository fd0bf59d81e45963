"""A store's published policy as typed values, validated and compiled once so the engines only look things up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from worker.domain.clock import DayKind, LateRule
from worker.domain.split.model import Objective

ReturnReason = Literal[
    "color",
    "defective",
    "not_as_described",
    "other",
    "size_too_large",
    "size_too_small",
    "style",
    "unknown",
    "unwanted",
    "wrong_item",
]
Condition = Literal["unused", "opened", "used", "damaged_by_customer"]
Packaging = Literal["original", "minor_damage", "damaged", "missing"]
MissingAccessories = Literal["none", "non_essential", "essential"]
TagsState = Literal["attached", "removed"]
InspectedFact = Literal["condition", "packaging", "missing_accessories", "tags_attached"]
Payer = Literal["customer", "merchant"]
Anchor = Literal["delivery", "fulfillment"]
Exclusion = Literal["excluded_category", "final_sale", "customized", "discount_over_limit"]
DefectAction = Literal["refund", "review"]
DefectDeadline = Literal["return_window", "lifetime", "hours"]

RETURN_REASONS: frozenset[str] = frozenset(get_args(ReturnReason))
FACT_VALUES: Mapping[InspectedFact, frozenset[str]] = {
    "condition": frozenset(get_args(Condition)),
    "packaging": frozenset(get_args(Packaging)),
    "missing_accessories": frozenset(get_args(MissingAccessories)),
    "tags_attached": frozenset(get_args(TagsState)),
}


class PolicyError(ValueError):
    """A policy file that cannot be trusted; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Requirement:
    """What the store accepts for one fact found when the item is inspected; other values are refused."""

    fact: InspectedFact
    accepted: frozenset[str]
    partial_percent: Mapping[str, int]

    @property
    def is_restrictive(self) -> bool:
        """Whether an unknown value could hide a refusal, so the item must be looked at first."""
        return len(self.accepted) + len(self.partial_percent) < len(FACT_VALUES[self.fact])


@dataclass(frozen=True)
class ReturnWindow:
    days: int
    anchor: Anchor
    transit_buffer_days: int  # delivery is estimated as fulfillment plus this when no delivery date is known


@dataclass(frozen=True)
class LateWindow:
    """Days after the window where a person may still grant part of the refund, for a reason they accept."""

    until_day: int
    percent: int


@dataclass(frozen=True)
class Exclusions:
    product_types: frozenset[str]
    tags: frozenset[str]
    final_sale_tags: frozenset[str]
    custom_tags: frozenset[str]
    max_discount_percent: Decimal | None


@dataclass(frozen=True)
class DefectRule:
    """How the store treats reasons that are its own fault (defect, wrong item)."""

    reasons: frozenset[str]
    action: DefectAction
    deadline: DefectDeadline
    deadline_hours: int | None
    requires_photos: bool
    overrides: frozenset[Exclusion]
    return_shipping_paid_by: Payer
    refund_original_shipping: bool
    lifetime_warranty: bool  # past the deadline a person decides the remedy; the rule grants no money


@dataclass(frozen=True)
class LateTexts:
    """What a late shipment's flag and case say, in the store's own terms."""

    flag_reason: str  # why a shipment past the first threshold may be late
    case_action: str  # what the merchant does once it is past the second
    promise: str | None  # the delivery time the store publishes

    def flag_note(self, fulfillment_id: int, tracking: str | None, elapsed: int, rule: LateRule) -> str:
        """The line added to the order's note when a shipment is flagged."""
        shown = f" ({tracking})" if tracking else ""
        promised = f" (promised: {self.promise})" if self.promise else ""
        return (
            f"Shipment {fulfillment_id}{shown}: {elapsed} {rule.day_kind} days in transit, "
            f"over {rule.late_after}{promised}: {self.flag_reason}."
        )

    def case_reason(self, rule: LateRule) -> str:
        return f"in transit over {rule.escalate_after} {rule.day_kind} days: {self.case_action}"


DEFAULT_LATE_TEXTS = LateTexts("possibly held at customs", "reship or refund", None)


@dataclass(frozen=True)
class ReturnsPolicy:
    window: ReturnWindow
    late_window: LateWindow | None
    requirements: tuple[Requirement, ...]
    exclusions: Exclusions
    defects: DefectRule
    exchanges_offered: bool
    exchange_reasons: frozenset[str]
    gift_store_credit: bool
    store_credit_on_request: bool
    return_shipping_paid_by: Payer
    refund_original_shipping: bool
    postage_deduction: Decimal | None  # kept from a refund of a whole free-shipping order returned by choice


@dataclass(frozen=True)
class StorePolicy:
    name: str
    version: str
    country: str
    subdivision: str | None
    timezone: str
    late: LateRule
    returns: ReturnsPolicy
    auto_approve: bool
    auto_decline: bool
    late_texts: LateTexts = DEFAULT_LATE_TEXTS
    split_objective: Objective = "fewest_packages"
    auto_refund: bool = False  # perform the refund inspection grants, without a person confirming it

    @property
    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone)


T = TypeVar("T")
_MISSING: Any = object()


class _Table:
    """One TOML table being read: every error names file and key, and keys nobody asked for are refused."""

    def __init__(self, file: str, path: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise PolicyError(f"{file}: [{path}] must be a table")
        self.file, self.path, self.data = file, path, data
        self.read: set[str] = set()

    def fail(self, key: str, problem: str) -> PolicyError:
        where = f"[{self.path}] {key}" if self.path else key
        return PolicyError(f"{self.file}: {where}: {problem}")

    def _get(self, key: str, kind: type[T], expected: str, default: Any) -> T:
        self.read.add(key)
        if key not in self.data:
            if default is _MISSING:
                raise self.fail(key, f"missing; expected {expected}")
            return default  # type: ignore[no-any-return]
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"expected {expected}, got {value!r}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        return self._get(key, bool, "true or false", default)

    def count(self, key: str, default: Any = _MISSING, minimum: int = 0) -> int:
        value = self._get(key, int, f"a whole number >= {minimum}", default)
        if value < minimum:
            raise self.fail(key, f"expected a whole number >= {minimum}, got {value}")
        return value

    def optional_count(self, key: str, minimum: int) -> int | None:
        if key not in self.data:
            self.read.add(key)
            return None
        return self.count(key, minimum=minimum)

    def percent(self, key: str) -> int:
        value = self.count(key, minimum=1)
        if value > 99:
            raise self.fail(key, f"a partial refund is 1 to 99 percent, got {value}")
        return value

    def choice(self, key: str, choices: frozenset[str] | tuple[str, ...], default: Any = _MISSING) -> Any:
        value = self._get(key, str, "one of " + ", ".join(sorted(choices)), default)
        if value not in choices:
            raise self.fail(key, f"{value!r} is not one of {', '.join(sorted(choices))}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        return self._get(key, str, "a string", default)

    def words(self, key: str, choices: frozenset[str] | None = None, default: Any = _MISSING) -> frozenset[str]:
        """A list of names, lower-cased because Shopify tags and types compare case-insensitively."""
        values = self._get(key, list, "a list of strings", default)
        if any(not isinstance(v, str) or not v.strip() for v in values):
            raise self.fail(key, f"expected a list of non-empty strings, got {values!r}")
        words = frozenset(v.strip().lower() for v in values)
        unknown = words - choices if choices is not None else frozenset()
        if unknown:
            known = ", ".join(sorted(choices or ()))
            raise self.fail(key, f"unknown value {', '.join(sorted(unknown))}; expected any of {known}")
        return words

    def amount(self, key: str, default: Any = _MISSING) -> Decimal | None:
        """A number written as an integer or a string: a float would round money."""
        value = self._get(key, object, "", default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.fail(key, f'expected a whole number or a string such as "4.90", got {value!r}')
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise self.fail(key, f'expected a number such as "4.90", got {value!r}') from None
        if not amount.is_finite() or amount < 0:
            raise self.fail(key, f"expected a positive number, got {value!r}")
        return amount

    def table(self, key: str, required: bool = True) -> _Table:
        data = self._get(key, dict, "a table", _MISSING if required else {})
        return _Table(self.file, f"{self.path}.{key}" if self.path else key, data)

    def tables(self, key: str) -> list[_Table]:
        items = self._get(key, list, "an array of tables", [])
        return [_Table(self.file, f"{self.path}.{key}[{i}]", item) for i, item in enumerate(items)]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise self.fail(unknown[0], f"unknown key (known: {', '.join(sorted(self.read))})")


def parse_policy(name: str, data: Mapping[str, Any], version: str) -> StorePolicy:
    """Validate a policy file's content and compile it; a typo must fail loudly, never disable a rule."""
    top = _Table(f"{name}.toml", "", data)
    store = top.table("store")
    country, subdivision, timezone = _parse_store(store)
    late_table = top.table("late_delivery", required=False)
    late = _parse_late(late_table)
    late_texts = LateTexts(
        flag_reason=_sentence(late_table, "flag_reason", DEFAULT_LATE_TEXTS.flag_reason),
        case_action=_sentence(late_table, "case_action", DEFAULT_LATE_TEXTS.case_action),
        promise=_sentence(late_table, "promise", None),
    )
    returns = _parse_returns(top.table("returns"))
    automation = top.table("automation", required=False)
    auto_approve = automation.boolean("auto_approve", default=False)
    auto_decline = automation.boolean("auto_decline", default=False)
    auto_refund = automation.boolean("auto_refund", default=False)
    split = top.table("split", required=False)
    objective: Objective = split.choice("objective", get_args(Objective), default="fewest_packages")
    for table in (store, late_table, automation, split, top):
        table.done()
    return StorePolicy(
        name,
        version,
        country,
        subdivision,
        timezone,
        late,
        returns,
        auto_approve,
        auto_decline,
        late_texts,
        objective,
        auto_refund,
    )


def _sentence(table: _Table, key: str, default: str | None) -> Any:
    """A text for the merchant: one line, not blank, without the full stop the sentence around it adds."""
    value = table.text(key, default=default)
    if value is None:
        return None
    if not value.strip() or "\n" in value:
        raise table.fail(key, "expected one non-empty line of text")
    return value.strip().rstrip(".")


def _parse_store(store: _Table) -> tuple[str, str | None, str]:
    supported = holidays.list_supported_countries()
    country = store.choice("country", frozenset(supported))
    subdivision = store.text("subdivision", default=None)
    if subdivision is not None and subdivision not in supported[country]:
        raise store.fail("subdivision", f"{subdivision!r} is not a subdivision of {country}")
    timezone = store.text("timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise store.fail("timezone", f"{timezone!r} is not an IANA time zone name") from None
    return country, subdivision, timezone


def _parse_late(late: _Table) -> LateRule:
    defaults = LateRule()
    day_kind: DayKind = late.choice("day_kind", get_args(DayKind), default=defaults.day_kind)
    late_after = late.count("late_after", default=defaults.late_after, minimum=1)
    escalate_after = late.count("escalate_after", default=defaults.escalate_after or 0, minimum=1)
    if escalate_after <= late_after:
        raise late.fail("escalate_after", f"must be more than late_after ({late_after}), got {escalate_after}")
    return LateRule(day_kind, late_after, escalate_after)


def _parse_returns(table: _Table) -> ReturnsPolicy:
    payers: tuple[Payer, ...] = get_args(Payer)
    window = ReturnWindow(
        days=table.count("window_days", minimum=1),
        anchor=table.choice("anchor", get_args(Anchor)),
        transit_buffer_days=table.count("transit_buffer_days"),
    )
    exchanges = table.table("exchanges")
    policy = ReturnsPolicy(
        window=window,
        late_window=_parse_late_window(table, window.days),
        requirements=_parse_requirements(table),
        exclusions=_parse_exclusions(table.table("exclusions", required=False)),
        defects=_parse_defects(table.table("defects")),
        exchanges_offered=exchanges.boolean("offered"),
        exchange_reasons=exchanges.words("reasons", RETURN_REASONS, default=list(RETURN_REASONS)),
        gift_store_credit=table.boolean("gift_store_credit"),
        store_credit_on_request=table.boolean("store_credit_on_request"),
        return_shipping_paid_by=table.choice("return_shipping_paid_by", payers),
        refund_original_shipping=table.boolean("refund_original_shipping"),
        postage_deduction=table.amount("postage_deduction", default=None),
    )
    exchanges.done()
    table.done()
    return policy


def _parse_late_window(returns: _Table, window_days: int) -> LateWindow | None:
    if "late_window" not in returns.data:
        returns.read.add("late_window")
        return None
    table = returns.table("late_window")
    until_day = table.count("until_day", minimum=1)
    if until_day <= window_days:
        raise table.fail("until_day", f"must be after the {window_days}-day window, got {until_day}")
    late = LateWindow(until_day, table.percent("percent"))
    table.done()
    return late


def _parse_requirements(returns: _Table) -> tuple[Requirement, ...]:
    table = returns.table("requirements", required=False)
    accepted: dict[InspectedFact, frozenset[str]] = {}
    for fact, values in FACT_VALUES.items():
        if fact == "tags_attached":
            required = table.boolean(fact, default=False)
            accepted[fact] = frozenset({"attached"}) if required else values
        else:
            accepted[fact] = table.words(fact, values, default=list(values))
    table.done()
    partial: dict[InspectedFact, dict[str, int]] = {fact: {} for fact in FACT_VALUES}
    for case in returns.tables("partial_refunds"):
        fact = case.choice("fact", tuple(f for f in FACT_VALUES if f != "tags_attached"))
        percent = case.percent("percent")
        for value in case.words("values", FACT_VALUES[fact]):
            if value in accepted[fact]:
                raise case.fail("values", f"{value!r} is already accepted in full by [returns.requirements] {fact}")
            partial[fact][value] = percent
        case.done()
    return tuple(
        Requirement(fact, accepted[fact], partial[fact]) for fact in FACT_VALUES if accepted[fact] != FACT_VALUES[fact]
    )


def _parse_exclusions(table: _Table) -> Exclusions:
    limit = table.amount("max_discount_percent", default=None)
    if limit is not None and limit > 100:
        raise table.fail("max_discount_percent", f"a percentage is at most 100, got {limit}")
    exclusions = Exclusions(
        product_types=table.words("product_types", default=[]),
        tags=table.words("tags", default=[]),
        final_sale_tags=table.words("final_sale_tags", default=[]),
        custom_tags=table.words("custom_tags", default=[]),
        max_discount_percent=limit,
    )
    table.done()
    return exclusions


def _parse_defects(table: _Table) -> DefectRule:
    deadline: DefectDeadline = table.choice("deadline", get_args(DefectDeadline))
    hours = table.optional_count("deadline_hours", minimum=1)
    if (deadline == "hours") != (hours is not None):
        raise table.fail("deadline_hours", 'is required exactly when deadline = "hours"')
    overrides: Any = table.words("overrides", frozenset(get_args(Exclusion)), default=[])
    rule = DefectRule(
        reasons=table.words("reasons", RETURN_REASONS),
        action=table.choice("action", get_args(DefectAction)),
        deadline=deadline,
        deadline_hours=hours,
        requires_photos=table.boolean("requires_photos", default=False),
        overrides=overrides,
        return_shipping_paid_by=table.choice("return_shipping_paid_by", get_args(Payer)),
        refund_original_shipping=table.boolean("refund_original_shipping"),
        lifetime_warranty=table.boolean("lifetime_warranty", default=False),
    )
    if rule.lifetime_warranty and deadline == "lifetime":
        raise table.fail("lifetime_warranty", 'needs a deadline after which it applies, not deadline = "lifetime"')
    table.done()
    return rule

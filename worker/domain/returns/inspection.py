"""The inspection stage: what came back, as Shopify's dispositions and a person's inspection say it, made into the
facts the policy engine judges, so the one evaluator decides the refund at both stages.

A disposition speaks to the item's condition only: restocked means sellable (unused), not restocked means not
(used); processing required says nothing yet, and a missing unit never came back. Tags, packaging, accessories
and misuse come from a person's inspection. Facts that contradict each other go to a person with both shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from worker.domain.policy import FACT_VALUES, InspectedFact, StorePolicy
from worker.domain.returns.decision import PAID_BACK, ReturnDecision
from worker.domain.returns.engine import evaluate_return
from worker.domain.returns.request import ProductFacts, ReturnRequest, ReturnRequestError

Disposition = Literal["restocked", "not_restocked", "processing_required", "missing"]
DISPOSITIONS: frozenset[str] = frozenset(get_args(Disposition))
Outcome = Literal["full_refund", "partial_refund", "store_credit", "exchange", "no_refund", "review", "awaiting"]

_CONDITION_OF = {"restocked": "unused", "not_restocked": "used"}
# A form finding that cannot be true of a unit with this disposition.
_IMPOSSIBLE: Mapping[str, frozenset[str]] = {"restocked": frozenset({"used", "damaged_by_customer"})}


@dataclass(frozen=True, slots=True)
class Findings:
    """What is known of one returned line once its parcel is back."""

    line_item_id: int
    dispositions: Mapping[str, int]  # Shopify's disposition type, lower case -> units
    form: Mapping[InspectedFact, str]  # a person's findings: condition, packaging, tags_attached, accessories


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two sources that disagree about one line, both shown to the person who settles it."""

    line_item_id: int
    disposition: str
    form: str

    def to_json(self) -> dict[str, Any]:
        return {"line_item_id": self.line_item_id, "disposition": self.disposition, "form": self.form}


@dataclass(frozen=True)
class Inspection:
    """The engine's decision on the facts found, which lines still wait for their parcel, and the conflicts."""

    decision: ReturnDecision
    request: ReturnRequest  # the request as inspected: units that came back, facts found
    awaiting: tuple[int, ...]
    conflicts: tuple[Conflict, ...]
    outcome: Outcome


def parse_form(data: Mapping[str, Any], where: str = "inspection") -> dict[InspectedFact, str]:
    """A person's findings for one line; only the facts given, each one of the policy's values."""
    facts: dict[InspectedFact, str] = {}
    for fact, values in FACT_VALUES.items():
        value = data.get(fact)
        if value is None or value == "":
            continue
        if fact == "tags_attached" and isinstance(value, bool):
            value = "attached" if value else "removed"
        if value not in values:
            raise ReturnRequestError(f"{where}.{fact}: {value!r} is not one of {', '.join(sorted(values))}")
        facts[fact] = value
    unknown = sorted(set(data) - set(FACT_VALUES))
    if unknown:
        raise ReturnRequestError(f"{where}: unknown fact {unknown[0]!r} (known: {', '.join(FACT_VALUES)})")
    return facts


def inspect_return(
    policy: StorePolicy,
    order: Any,
    request: ReturnRequest,
    inspected: Mapping[int, Findings],
    products: Mapping[int, ProductFacts],
    now: datetime,
) -> Inspection:
    """The request judged again with what inspection found. A line is inspected once every unit has a
    disposition or a person has filled in its form; until then it waits and the return has no outcome."""
    lines, awaiting, conflicts = [], [], []
    for line in request.lines:
        found = inspected.get(line.line_item_id)
        dispositions = found.dispositions if found else {}
        form = found.form if found else {}
        if sum(dispositions.values()) < line.quantity and not form:
            awaiting.append(line.line_item_id)
        missing = min(dispositions.get("missing", 0), line.quantity)
        back = line.quantity - missing
        conflict = _conflict(line.line_item_id, dispositions, form, back)
        if conflict is not None:
            # Neither source is taken for the contested facts: a person settles them, seeing both.
            conflicts.append(conflict)
            kept: dict[InspectedFact, str] = {}
            if not missing:
                kept = {fact: value for fact, value in form.items() if fact != "condition"}
            facts, back, reasons = {**line.facts, **kept}, line.quantity, ["contradictory_facts"]
        else:
            facts = {**line.facts, **_disposed_facts(dispositions), **form}
            reasons = ["not_returned"] if back == 0 else ["units_missing"] if missing else []
        lines.append(replace(line, quantity=max(back, 1), facts=facts, found=tuple(reasons)))
    inspected_request = replace(request, lines=tuple(lines))
    decision = evaluate_return(policy, order, inspected_request, products, now)
    state = "awaiting" if awaiting else outcome(decision)
    return Inspection(decision, inspected_request, tuple(awaiting), tuple(conflicts), state)


def _disposed_facts(dispositions: Mapping[str, int]) -> dict[InspectedFact, str]:
    """The condition the dispositions of the units that came back show: the worst of them, none if any unit
    still needs processing."""
    kinds = {kind for kind, units in dispositions.items() if units and kind != "missing"}
    if not kinds or "processing_required" in kinds:
        return {}
    return {"condition": "used" if "not_restocked" in kinds else _CONDITION_OF[kinds.pop()]}


def _conflict(
    line_item_id: int, dispositions: Mapping[str, int], form: Mapping[InspectedFact, str], back: int
) -> Conflict | None:
    if not form:
        return None
    shown = ", ".join(f"{fact}: {value}" for fact, value in form.items())
    if back == 0 and dispositions.get("missing"):
        return Conflict(line_item_id, f"missing ({dispositions['missing']})", shown)
    for kind, units in dispositions.items():
        if units and form.get("condition") in _IMPOSSIBLE.get(kind, ()):
            return Conflict(line_item_id, f"{kind} ({units})", shown)
    return None


def outcome(decision: ReturnDecision) -> Outcome:
    """The return's outcome in one word, for the pages and the ledger."""
    if decision.decision == "review":
        return "review"
    granted = [line for line in decision.lines if line.decision == "approved"]
    paid = [line for line in granted if line.resolution in PAID_BACK]
    if not granted:
        return "no_refund"
    if not paid:
        return "exchange"
    if all(line.resolution == "store_credit" for line in paid):
        return "store_credit"
    if decision.decision == "approved" and all(line.refund_percent == 100 for line in paid):
        return "full_refund"
    return "partial_refund"


@dataclass(frozen=True)
class RefundPlan:
    """What `returnProcess` is asked to do: which units are processed, and the money: to the original payment,
    as store credit, and the shipping share of it."""

    currency: str
    lines: tuple[tuple[int, int], ...]  # (line item id, units) processed
    to_payment: Decimal
    store_credit: Decimal
    shipping: Decimal

    @property
    def total(self) -> Decimal:
        return self.to_payment + self.store_credit

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [{"line_item_id": line_id, "quantity": units} for line_id, units in self.lines],
            "to_payment": str(self.to_payment),
            "store_credit": str(self.store_credit),
            "shipping": str(self.shipping),
            "total": str(self.total),
        }


def refund_plan(inspection: Inspection) -> RefundPlan:
    """The approved lines' units and the summary's money: store credit where the lines grant it, the rest (with
    the shipping and less the deductions) to the original payment."""
    decision, request = inspection.decision, inspection.request
    summary, zero = decision.refund, decision.refund.total - decision.refund.total
    units = {line.line_item_id: line.quantity for line in request.lines}
    granted = [line for line in decision.lines if line.decision == "approved"]
    credit = sum((line.refund_amount for line in granted if line.resolution == "store_credit"), zero)
    credit = min(credit, summary.total)
    return RefundPlan(
        summary.currency,
        tuple((line.line_item_id, units[line.line_item_id]) for line in granted),
        max(summary.total - credit, zero),
        credit,
        summary.shipping,
    )


def plan_from_json(data: Mapping[str, Any]) -> RefundPlan:
    return RefundPlan(
        str(data["currency"]),
        tuple((int(line["line_item_id"]), int(line["quantity"])) for line in data["lines"]),
        Decimal(str(data["to_payment"])),
        Decimal(str(data["store_credit"])),
        Decimal(str(data["shipping"])),
    )

"""Judges a return request against a compiled store policy: eligibility, then outcome, then amount."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from worker.domain.money import rounded, shares
from worker.domain.policy import Exclusion, Payer, ReturnsPolicy, StorePolicy
from worker.domain.returns.decision import (
    PAID_BACK,
    AnchorKind,
    LineDecision,
    LineVerdict,
    RefundSummary,
    Resolution,
    ReturnDecision,
    WindowSpan,
    overall,
)
from worker.domain.returns.explain import explain
from worker.domain.returns.order import OrderFacts, OrderLine
from worker.domain.returns.request import ProductFacts, ReturnLine, ReturnRequest, ReturnRequestError

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class _Anchor:
    """Where a line's window starts (a delivery scan, an estimate from shipping, or nothing known), with what
    every line counted from it shares: the window, the day the customer asked, the figures its sentences quote.
    Worked out once per distinct pair of dates in a request."""

    __slots__ = ("at", "day", "days", "figures", "kind", "span")

    def __init__(self, kind: AnchorKind, at: datetime | None, zone: tzinfo, window_days: int, asked: date) -> None:
        self.kind, self.at = kind, at
        self.day = None if at is None else at.astimezone(zone).date()
        self.span = WindowSpan(kind, self.day, None if self.day is None else self.day + timedelta(days=window_days))
        self.days = None if self.day is None else (asked - self.day).days  # calendar days, store time zone
        self.figures: dict[str, object] = {
            "days": self.days,
            "anchor": "delivery" if kind == "delivery" else f"the {kind.replace('_', ' ')} date",
            "estimate": self.day.isoformat() if self.day else None,
        }


class _Context:
    """Facts shared by every line of one request, worked out once."""

    def __init__(self, policy: StorePolicy, order: OrderFacts, request: ReturnRequest, now: datetime) -> None:
        self.rules, self.zone, self.order, self.request = policy.returns, policy.zone, order, request
        self.asked_at = request.requested_at or now  # the window is judged on the day the customer asked
        self.asked_date = self.asked_at.astimezone(self.zone).date()
        self.zero = Decimal(0).quantize(order.unit)
        self._anchors: dict[tuple[datetime | None, datetime | None], _Anchor] = {}
        self.request_anchor = self.anchor(request.delivered_at, request.fulfilled_at)
        limit, late = self.rules.exclusions.max_discount_percent, self.rules.late_window
        self.figures: dict[str, object] = {
            "window_days": self.rules.window.days,
            "late_until": late.until_day if late else None,
            "discount_limit": f"{limit:f}" if limit is not None else None,
        }

    def anchor(self, delivered_at: datetime | None, fulfilled_at: datetime | None) -> _Anchor:
        found = self._anchors.get((delivered_at, fulfilled_at))
        if found is None:
            found = self._anchors[delivered_at, fulfilled_at] = self._new_anchor(delivered_at, fulfilled_at)
        return found

    def _new_anchor(self, delivered_at: datetime | None, fulfilled_at: datetime | None) -> _Anchor:
        window = self.rules.window
        kind: AnchorKind
        if window.anchor == "fulfillment":
            kind, at = ("fulfillment", fulfilled_at) if fulfilled_at else ("unknown", None)
        elif delivered_at:
            kind, at = "delivery", delivered_at
        elif fulfilled_at:
            kind, at = "estimated_delivery", fulfilled_at + timedelta(days=window.transit_buffer_days)
        else:
            kind, at = "unknown", None
        return _Anchor(kind, at, self.zone, window.days, self.asked_date)

    def line_anchor(self, line: ReturnLine) -> _Anchor:
        """A line's own dates, when it has any, are its parcel's: they replace the request's."""
        if line.delivered_at is None and line.fulfilled_at is None:
            return self.request_anchor
        return self.anchor(line.delivered_at, line.fulfilled_at)


def _day_of(zone: tzinfo, anchor: _Anchor, moment: datetime) -> int | None:
    """Calendar days from the anchor to `moment`, both read in the store's time zone."""
    if anchor.day is None:
        return None
    return (moment.astimezone(zone).date() - anchor.day).days


@dataclass(slots=True)
class _Verdict:
    """What the eligibility step found for one line, before outcome and amount are chosen."""

    defect: bool
    anchor: _Anchor
    declines: list[str] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    percent: int = 100
    packaging_only: bool = True  # every partial grant comes from the packaging alone
    no_money: bool = False  # a person decides the remedy; the rule grants nothing to pay back

    def grant(self, percent: int, note: str, packaging: bool = False) -> None:
        self.percent = min(self.percent, percent)
        self.packaging_only = self.packaging_only and packaging
        self.notes.append(note)


def evaluate_return(
    policy: StorePolicy,
    order: Any,
    request: ReturnRequest,
    products: Mapping[int, ProductFacts],
    now: datetime,
) -> ReturnDecision:
    """Raises ReturnRequestError when the request names lines or quantities the order does not have."""
    ctx = _Context(policy, OrderFacts(order), request, now)
    decided = [_decide_line(ctx, line, _order_line(ctx.order, line), products) for line in request.lines]
    lines, refund, pending = _summarise(ctx, decided)
    dated = request.delivered_at or request.fulfilled_at or not lines
    window = ctx.request_anchor.span if dated else lines[0].window
    return ReturnDecision(policy.name, policy.version, overall(lines), window, lines, refund, pending)


def _order_line(order: OrderFacts, line: ReturnLine) -> OrderLine:
    found = order.line(line.line_item_id)
    if found is None:
        raise ReturnRequestError(f"request: line item {line.line_item_id} is not in the order")
    if line.quantity > found.quantity:
        raise ReturnRequestError(
            f"request: line item {line.line_item_id} asks to return {line.quantity} of {found.quantity} bought"
        )
    return found


def _out_already(ctx: _Context, bought: OrderLine) -> int:
    """Units of the line the customer no longer holds to return: refunded or edited away, or in another return
    request. A refund usually settles a return, so the two are counted as overlapping, not added."""
    before = ctx.request.returned_before
    return max(bought.gone, before.get(bought.id, 0)) if before else bought.gone


def _decide_line(
    ctx: _Context, line: ReturnLine, bought: OrderLine, products: Mapping[int, ProductFacts]
) -> tuple[LineDecision, int]:
    """The line's decision, and how many of its units it covers."""
    rules = ctx.rules
    anchor = ctx.line_anchor(line)
    verdict = _Verdict(defect=line.reason in rules.defects.reasons, anchor=anchor)
    if line.found:
        _judge_found(line.found, verdict)
    out = _out_already(ctx, bought)
    units = min(line.quantity, bought.quantity - out)
    if units <= 0:
        verdict.declines.append("already_returned")
    elif units < line.quantity:
        verdict.reviews.append("already_returned")
    if verdict.defect:
        _judge_defect(ctx, line, verdict)
    else:
        _judge_window(ctx, verdict)
        _judge_requirements(rules, line, verdict)
    overrides = rules.defects.overrides if verdict.defect else frozenset()
    product = products.get(bought.product_id) if bought.product_id is not None else None
    _judge_exclusions(rules, bought, product, overrides, verdict)

    payer: Payer = rules.defects.return_shipping_paid_by if verdict.defect else rules.return_shipping_paid_by
    original_shipping = rules.defects.refund_original_shipping if verdict.defect else rules.refund_original_shipping
    span, zero = anchor.span, ctx.zero
    values = {**ctx.figures, **anchor.figures, "available": max(units, 0), "asked": line.quantity}
    values["note"] = " The customer wrote a note for the reviewer." if line.note else ""
    if verdict.declines:
        reasons = _unique(verdict.declines)
        explanation = explain("declined", reasons, values)
        return LineDecision(
            line.line_item_id, "declined", "none", 0, zero, zero, ctx.order.currency, payer, False, reasons,
            explanation, span,
        ), 0  # fmt: skip
    resolution = _resolution(ctx, line, verdict)
    decision: LineVerdict = "review" if verdict.reviews else "approved"
    reasons = _unique(verdict.reviews + verdict.notes)
    values["percent"] = verdict.percent
    if verdict.no_money:
        items = tax = zero
        percent = 0
    else:
        items, tax = _amounts(ctx, bought, out, units, verdict.percent)
        percent = verdict.percent
    explanation = explain(decision, reasons, values)
    return LineDecision(
        line.line_item_id, decision, resolution, percent, items, tax, ctx.order.currency, payer, original_shipping,
        reasons, explanation, span,
    ), units  # fmt: skip


def _amounts(ctx: _Context, bought: OrderLine, out: int, units: int, percent: int) -> tuple[Decimal, Decimal]:
    """The returned units' share of what the line cost, the units already out taking the first shares, so the
    units of a line returned one by one add up exactly to the line."""
    unit = ctx.order.unit
    items = shares(bought.paid, bought.quantity, out, units, unit)
    tax = (
        ctx.zero
        if ctx.order.taxes_included or not bought.tax
        else shares(bought.tax, bought.quantity, out, units, unit)
    )
    if percent != 100:
        items, tax = rounded(items * percent / 100, unit), rounded(tax * percent / 100, unit)
    return items, tax


def _judge_window(ctx: _Context, verdict: _Verdict) -> None:
    late, anchor = ctx.rules.late_window, verdict.anchor
    days = anchor.days
    if days is None:
        verdict.reviews.append("delivery_unknown")
    elif days <= ctx.rules.window.days:
        if anchor.kind == "estimated_delivery":
            verdict.reviews.append("delivery_estimated")
    elif late and days <= late.until_day:
        # "with a valid reason": a reason for the delay, which only a person can accept.
        verdict.grant(late.percent, "late_window")
        verdict.reviews.append("late_window")
    else:
        verdict.declines.append("outside_window")


def _judge_requirements(rules: ReturnsPolicy, line: ReturnLine, verdict: _Verdict) -> None:
    for requirement in rules.requirements:
        value = line.facts.get(requirement.fact)
        if value is None:
            if requirement.is_restrictive:
                verdict.reviews.append("needs_inspection")
        elif value in requirement.partial_percent:
            verdict.grant(requirement.partial_percent[value], "partial_refund", requirement.fact == "packaging")
        elif value not in requirement.accepted:
            verdict.declines.append("condition_not_met")


def _judge_found(found: tuple[str, ...], verdict: _Verdict) -> None:
    """What inspection found: a unit that never came back is not refunded, a contradiction goes to a person."""
    for reason in found:
        if reason == "not_returned":
            verdict.declines.append(reason)
        elif reason == "contradictory_facts":
            verdict.reviews.append(reason)
        else:
            verdict.notes.append(reason)


def _judge_defect(ctx: _Context, line: ReturnLine, verdict: _Verdict) -> None:
    """The store's own fault: its deadline and proof apply instead of the usual window and condition."""
    rule, anchor = ctx.rules.defects, verdict.anchor
    reported_at = line.reported_at or ctx.asked_at
    verdict.notes.append("defect_exception")
    if rule.deadline != "lifetime" and anchor.at is None:
        verdict.reviews.append("delivery_unknown")
    elif not _reported_in_time(ctx, anchor, reported_at):
        if rule.lifetime_warranty:
            verdict.reviews.append("warranty")
            verdict.no_money = True
        else:
            verdict.reviews.append("defect_reported_late")
    elif rule.deadline != "lifetime" and anchor.kind == "estimated_delivery":
        verdict.reviews.append("delivery_estimated")
    if rule.requires_photos and line.photos is not True:
        verdict.reviews.append("photos_required")
    if line.facts.get("condition") == "damaged_by_customer":
        verdict.declines.append("condition_not_met")
    if rule.action == "review":
        verdict.reviews.append("defect_exception")


def _reported_in_time(ctx: _Context, anchor: _Anchor, reported_at: datetime) -> bool:
    rule = ctx.rules.defects
    if rule.deadline == "lifetime" or anchor.at is None:
        return True
    if rule.deadline == "hours":
        return reported_at - anchor.at <= timedelta(hours=rule.deadline_hours or 0)
    return (_day_of(ctx.zone, anchor, reported_at) or 0) <= ctx.rules.window.days


def _judge_exclusions(
    rules: ReturnsPolicy,
    bought: OrderLine,
    product: ProductFacts | None,
    overrides: frozenset[Exclusion],
    verdict: _Verdict,
) -> None:
    excluded: list[Exclusion] = []
    rule = rules.exclusions
    if bought.gift_card:
        excluded.append("excluded_category")
    limit = rule.max_discount_percent
    if limit is not None and bought.allocations:
        if any(percent > limit for percent in bought.code_percents()):
            excluded.append("discount_over_limit")
        elif bought.unexplained_percent() > limit:
            verdict.reviews.append("discount_unknown")
    if product is None:
        if rule.product_types or rule.tags or rule.final_sale_tags or rule.custom_tags:
            verdict.reviews.append("product_unknown")
    else:
        if _is_kind(product, rule.product_types) or product.tags & rule.tags:
            excluded.append("excluded_category")
        if product.tags & rule.final_sale_tags:
            excluded.append("final_sale")
        if product.tags & rule.custom_tags:
            excluded.append("customized")
    verdict.declines.extend(e for e in excluded if e not in overrides)


def _is_kind(product: ProductFacts, kinds: frozenset[str]) -> bool:
    """A product typed as one of `kinds`, in a type of several words ("Beach Hats") or in a tag: the store's
    list is open ("accessories (jewelry, bags, hats etc.)"), so a kind named anywhere counts."""
    if not kinds:
        return False
    if product.product_type in kinds or product.tags & kinds:
        return True
    return not kinds.isdisjoint(_WORD.findall(product.product_type))


def _resolution(ctx: _Context, line: ReturnLine, verdict: _Verdict) -> Resolution:
    rules, request = ctx.rules, ctx.request
    if verdict.no_money:
        return "none"
    wanted = line.preferred_resolution
    if wanted == "exchange":
        if verdict.defect and rules.exchanges_offered:
            return "replacement"
        if (
            rules.exchanges_offered
            and line.reason in rules.exchange_reasons
            and "late_window" not in verdict.notes
            and (verdict.percent == 100 or verdict.packaging_only)
        ):
            verdict.percent = 100  # a damaged box alone does not stop an exchange of an undamaged item
            return "exchange"
        verdict.notes.append("no_exchanges")
    elif wanted == "store_credit" and rules.store_credit_on_request:
        return "store_credit"
    if request.gift and request.gift_shipped_to_recipient and rules.gift_store_credit:
        verdict.notes.append("gift_store_credit")
        return "store_credit"
    return "refund" if verdict.percent == 100 else "partial_refund"


def _summarise(
    ctx: _Context, decided: list[tuple[LineDecision, int]]
) -> tuple[tuple[LineDecision, ...], RefundSummary, RefundSummary]:
    """What the decision pays back now and what waits on a person, shipping and deductions included."""
    zero = ctx.zero
    items, tax, shipping = [zero, zero], [zero, zero], [False, False]  # [granted now, waiting on a person]
    for line, _ in decided:
        if line.resolution in PAID_BACK and line.decision != "declined":
            side = 0 if line.decision == "approved" else 1
            items[side] += line.refund_items
            tax[side] += line.refund_tax
            shipping[side] = shipping[side] or line.refund_original_shipping
    shipped = [zero, zero]
    if shipping[0] or shipping[1]:
        due = max(rounded(ctx.order.shipping_paid() - ctx.order.shipping_refunded(), ctx.order.unit), zero)
        shipped[0 if shipping[0] else 1] = due
    currency = ctx.order.currency
    summaries = [RefundSummary(currency, items[i], tax[i], shipped[i], zero) for i in (0, 1)]
    lines = tuple(line for line, _ in decided)
    postage = _postage(ctx, decided) if ctx.rules.postage_deduction is not None else None
    if postage is not None:
        side = 0 if any(line.decision == "approved" and line.resolution in PAID_BACK for line in lines) else 1
        summary = summaries[side]
        deducted = min(rounded(postage, ctx.order.unit), summary.items + summary.tax + summary.shipping)
        summaries[side] = replace(summary, deductions=deducted)
        wanted = "approved" if side == 0 else "review"
        lines = tuple(
            _mark_postage(line, postage) if line.decision == wanted and line.resolution in PAID_BACK else line
            for line in lines
        )
    return lines, summaries[0], summaries[1]


def _postage(ctx: _Context, decided: list[tuple[LineDecision, int]]) -> Decimal | None:
    """The postage kept when this request's returns complete the return of a whole free-shipping order for the
    customer's own reasons; never for an order that shipped nothing."""
    postage, request, order = ctx.rules.postage_deduction, ctx.request, ctx.order
    if postage is None or any(line.reason in ctx.rules.defects.reasons for line in request.lines):
        return None
    if not any(line.resolution in PAID_BACK and line.decision != "declined" for line, _ in decided):
        return None
    dated = request.delivered_at or request.fulfilled_at or any(x.delivered_at or x.fulfilled_at for x in request.lines)
    if not dated or not order.ships_anything() or not order.free_shipping():
        return None
    returning = {line.line_item_id: units for line, units in decided}
    for line_id, quantity in order.quantities().items():
        bought = order.line(line_id)
        out = _out_already(ctx, bought) if bought else 0
        if out + returning.get(line_id, 0) < quantity:
            return None
    return postage


def _mark_postage(line: LineDecision, postage: Decimal) -> LineDecision:
    reasons = _unique([*line.reasons, "postage_deducted"])
    explanation = line.explanation
    if line.decision == "approved":
        explanation = explain("approved", reasons, {"postage": f"{postage:.2f} {line.currency}"})
    return line._replace(reasons=reasons, explanation=explanation)


def _unique(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))

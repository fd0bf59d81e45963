"""Judges a return request against a compiled store policy: eligibility, then outcome, then amount."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from worker.domain.policy import Exclusion, Payer, ReturnsPolicy, StorePolicy
from worker.domain.returns.decision import (
    AnchorKind,
    LineDecision,
    LineVerdict,
    Resolution,
    ReturnDecision,
    WindowSpan,
    overall,
)
from worker.domain.returns.explain import explain
from worker.domain.returns.order import CENT, OrderFacts, OrderLine
from worker.domain.returns.request import ProductFacts, ReturnLine, ReturnRequest, ReturnRequestError


class _Context:
    """Facts shared by every line of one request, worked out once."""

    def __init__(self, policy: StorePolicy, order: OrderFacts, request: ReturnRequest, now: datetime) -> None:
        self.rules, self.zone, self.order, self.request = policy.returns, policy.zone, order, request
        self.anchor, self.anchor_at = _anchor(self.rules, request)
        self.anchor_date = None if self.anchor_at is None else self.anchor_at.astimezone(self.zone).date()
        self.asked_at = request.requested_at or now  # the window is judged on the day the customer asked
        self.asked_day = self.day_of(self.asked_at)
        limit, late = self.rules.exclusions.max_discount_percent, self.rules.late_window
        self.figures: dict[str, object] = {
            "days": self.asked_day,
            "anchor": "delivery" if self.anchor == "delivery" else f"the {self.anchor.replace('_', ' ')} date",
            "window_days": self.rules.window.days,
            "late_until": late.until_day if late else None,
            "discount_limit": f"{limit:f}" if limit is not None else None,
        }

    def day_of(self, moment: datetime) -> int | None:
        """Calendar days from the anchor to `moment`, both read in the store's time zone."""
        if self.anchor_date is None:
            return None
        return (moment.astimezone(self.zone).date() - self.anchor_date).days


@dataclass(slots=True)
class _Verdict:
    """What the eligibility step found for one line, before outcome and amount are chosen."""

    defect: bool
    declines: list[str] = field(default_factory=list)
    reviews: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    percent: int = 100

    def grant(self, percent: int, note: str) -> None:
        self.percent = min(self.percent, percent)
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
    lines = tuple(_decide_line(ctx, line, _order_line(ctx.order, line), products) for line in request.lines)
    lines = _deduct_postage(ctx, lines)
    starts = ctx.anchor_date
    ends = None if starts is None else starts + timedelta(days=ctx.rules.window.days)
    return ReturnDecision(policy.name, policy.version, overall(lines), WindowSpan(ctx.anchor, starts, ends), lines)


def _anchor(rules: ReturnsPolicy, request: ReturnRequest) -> tuple[AnchorKind, datetime | None]:
    if rules.window.anchor == "fulfillment":
        return ("fulfillment", request.fulfilled_at) if request.fulfilled_at else ("unknown", None)
    if request.delivered_at:
        return "delivery", request.delivered_at
    if request.fulfilled_at:
        return "estimated_delivery", request.fulfilled_at + timedelta(days=rules.window.transit_buffer_days)
    return "unknown", None


def _order_line(order: OrderFacts, line: ReturnLine) -> OrderLine:
    found = order.line(line.line_item_id)
    if found is None:
        raise ReturnRequestError(f"request: line item {line.line_item_id} is not in the order")
    if line.quantity > found.quantity:
        raise ReturnRequestError(
            f"request: line item {line.line_item_id} asks to return {line.quantity} of {found.quantity} bought"
        )
    return found


def _decide_line(
    ctx: _Context, line: ReturnLine, bought: OrderLine, products: Mapping[int, ProductFacts]
) -> LineDecision:
    rules = ctx.rules
    verdict = _Verdict(defect=line.reason in rules.defects.reasons)
    if verdict.defect:
        _judge_defect(ctx, line, verdict)
    else:
        _judge_window(ctx, line, verdict)
        _judge_requirements(rules, line, verdict)
    overrides = rules.defects.overrides if verdict.defect else frozenset()
    product = products.get(bought.product_id) if bought.product_id is not None else None
    _judge_exclusions(rules, bought, product, overrides, verdict)

    payer: Payer = rules.defects.return_shipping_paid_by if verdict.defect else rules.return_shipping_paid_by
    original_shipping = rules.defects.refund_original_shipping if verdict.defect else rules.refund_original_shipping
    if verdict.declines:
        reasons = _unique(verdict.declines)
        return LineDecision(
            line.line_item_id,
            "declined",
            "none",
            0,
            Decimal("0.00"),
            ctx.order.currency,
            payer,
            False,
            reasons,
            explain("declined", reasons, _values(ctx, verdict)),
        )
    resolution = _resolution(ctx, line, verdict)
    amount = (bought.paid * line.quantity * verdict.percent / (bought.quantity * 100)).quantize(CENT, ROUND_HALF_UP)
    decision: LineVerdict = "review" if verdict.reviews else "approved"
    reasons = _unique(verdict.reviews + verdict.notes)
    return LineDecision(
        line.line_item_id,
        decision,
        resolution,
        verdict.percent,
        amount,
        ctx.order.currency,
        payer,
        original_shipping,
        reasons,
        explain(decision, reasons, _values(ctx, verdict)),
    )


def _judge_window(ctx: _Context, line: ReturnLine, verdict: _Verdict) -> None:
    days, late = ctx.asked_day, ctx.rules.late_window
    if days is None:
        verdict.reviews.append("delivery_unknown")
    elif days <= ctx.rules.window.days:
        return
    elif late and days <= late.until_day and line.reason in late.reasons:
        verdict.grant(late.percent, "late_window")
    else:
        verdict.declines.append("outside_window")


def _judge_requirements(rules: ReturnsPolicy, line: ReturnLine, verdict: _Verdict) -> None:
    for requirement in rules.requirements:
        value = line.facts.get(requirement.fact)
        if value is None:
            if requirement.is_restrictive:
                verdict.reviews.append("needs_inspection")
        elif value in requirement.partial_percent:
            verdict.grant(requirement.partial_percent[value], "partial_refund")
        elif value not in requirement.accepted:
            verdict.declines.append("condition_not_met")


def _judge_defect(ctx: _Context, line: ReturnLine, verdict: _Verdict) -> None:
    """The store's own fault: its deadline and proof apply instead of the usual window and condition."""
    rule = ctx.rules.defects
    reported_at = line.reported_at or ctx.asked_at
    verdict.notes.append("defect_exception")
    if rule.deadline != "lifetime" and ctx.anchor_at is None:
        verdict.reviews.append("delivery_unknown")
    elif not _reported_in_time(ctx, reported_at):
        verdict.reviews.append("defect_reported_late")
    if rule.requires_photos and line.photos is not True:
        verdict.reviews.append("photos_required")
    if line.facts.get("condition") == "damaged_by_customer":
        verdict.declines.append("condition_not_met")
    if rule.action == "review":
        verdict.reviews.append("defect_exception")


def _reported_in_time(ctx: _Context, reported_at: datetime) -> bool:
    rule, anchor_at = ctx.rules.defects, ctx.anchor_at
    if rule.deadline == "lifetime" or anchor_at is None:
        return True
    if rule.deadline == "hours":
        return reported_at - anchor_at <= timedelta(hours=rule.deadline_hours or 0)
    return (ctx.day_of(reported_at) or 0) <= ctx.rules.window.days


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
    if rule.max_discount_percent is not None and bought.discount_above(rule.max_discount_percent):
        excluded.append("discount_over_limit")
    if product is None:
        if rule.product_types or rule.tags or rule.final_sale_tags or rule.custom_tags:
            verdict.reviews.append("product_unknown")
    else:
        if product.product_type in rule.product_types or product.tags & rule.tags:
            excluded.append("excluded_category")
        if product.tags & rule.final_sale_tags:
            excluded.append("final_sale")
        if product.tags & rule.custom_tags:
            excluded.append("customized")
    verdict.declines.extend(e for e in excluded if e not in overrides)


def _resolution(ctx: _Context, line: ReturnLine, verdict: _Verdict) -> Resolution:
    rules, request = ctx.rules, ctx.request
    wanted = line.preferred_resolution
    if wanted == "exchange":
        if verdict.defect:
            return "replacement"
        if verdict.percent == 100 and rules.exchanges_offered and line.reason in rules.exchange_reasons:
            return "exchange"
        verdict.notes.append("no_exchanges")
    elif wanted == "store_credit" and rules.store_credit_on_request:
        return "store_credit"
    if request.gift and request.gift_shipped_to_recipient and rules.gift_store_credit:
        verdict.notes.append("gift_store_credit")
        return "store_credit"
    return "refund" if verdict.percent == 100 else "partial_refund"


def _deduct_postage(ctx: _Context, lines: tuple[LineDecision, ...]) -> tuple[LineDecision, ...]:
    """A whole free-shipping order refunded for the customer's own reasons leaves the store's postage behind."""
    postage, request = ctx.rules.postage_deduction, ctx.request
    if postage is None or any(line.reason in ctx.rules.defects.reasons for line in request.lines):
        return lines
    returned = {line.line_item_id: line.quantity for line in request.lines}
    if returned != ctx.order.quantities() or ctx.order.shipping_paid() > 0:
        return lines
    remaining, deducted = postage, []
    for line in lines:
        if remaining and line.decision != "declined" and line.resolution in ("refund", "partial_refund"):
            taken = min(remaining, line.refund_amount)
            remaining -= taken
            reasons = _unique([*line.reasons, "postage_deducted"])
            explanation = line.explanation
            if line.decision == "approved":
                explanation = explain("approved", reasons, {"postage": f"{postage:.2f} {line.currency}"})
            line = replace(line, refund_amount=line.refund_amount - taken, reasons=reasons, explanation=explanation)
        deducted.append(line)
    return tuple(deducted)


def _values(ctx: _Context, verdict: _Verdict) -> dict[str, object]:
    """The figures a line's explanation may quote."""
    return {**ctx.figures, "percent": verdict.percent}


def _unique(reasons: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))

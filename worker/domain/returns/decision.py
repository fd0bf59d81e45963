"""The engine's answer as typed values, and its one JSON rendering shared by the CLI and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from worker.domain.policy import Payer

Overall = Literal["approved", "declined", "partial", "review"]
LineVerdict = Literal["approved", "declined", "review"]
Resolution = Literal["refund", "partial_refund", "store_credit", "exchange", "replacement", "none"]
AnchorKind = Literal["delivery", "estimated_delivery", "fulfillment", "unknown"]
# Resolutions that give money back (to the payment method or as store credit); an exchange or a replacement
# sends goods instead.
PAID_BACK: frozenset[str] = frozenset({"refund", "partial_refund", "store_credit"})


@dataclass(frozen=True)
class WindowSpan:
    anchor: AnchorKind
    starts: date | None
    ends: date | None

    def to_json(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
        }


@dataclass(frozen=True)
class RefundSummary:
    """What a set of lines gives back, in the order's currency, each figure in its minor unit."""

    currency: str
    items: Decimal  # price minus the lines' discounts
    tax: Decimal  # tax paid on those units, unless the prices already include it
    shipping: Decimal  # original shipping, only where the policy refunds it
    deductions: Decimal  # kept by the store, e.g. the postage of a free-shipping order returned whole

    @property
    def total(self) -> Decimal:
        return self.items + self.tax + self.shipping - self.deductions

    def to_json(self) -> dict[str, str]:
        return {
            "currency": self.currency,
            "items": str(self.items),
            "tax": str(self.tax),
            "shipping": str(self.shipping),
            "deductions": str(self.deductions),
            "total": str(self.total),
        }


class LineDecision(NamedTuple):
    """One returned line; a line in review carries what the policy would grant once a person confirms. (A tuple:
    one is built per line on every evaluation, and tuples are the cheapest immutable values to build.)"""

    line_item_id: int
    decision: LineVerdict
    resolution: Resolution
    refund_percent: int
    refund_items: Decimal
    refund_tax: Decimal
    currency: str
    return_shipping_paid_by: Payer
    refund_original_shipping: bool
    reasons: tuple[str, ...]
    explanation: str
    window: WindowSpan

    @property
    def refund_amount(self) -> Decimal:
        return self.refund_items + self.refund_tax


@dataclass(frozen=True)
class ReturnDecision:
    store: str
    policy_version: str
    decision: Overall
    window: WindowSpan
    lines: tuple[LineDecision, ...]
    refund: RefundSummary  # what the decision grants now: approved lines, partial ones included
    pending_review: RefundSummary  # what the lines waiting on a person would add if granted as shown


# Reasons that explain a line without holding it for a person.
_NOTES = frozenset(
    {"partial_refund", "defect_exception", "no_exchanges", "gift_store_credit", "postage_deducted", "units_missing"}
)


def eligible_at_request(decision: ReturnDecision) -> bool:
    """Every line can be approved now: approved, or held only until its condition is seen at inspection (what a
    request cannot state). Such a return is approved in Shopify so that its parcel can come back."""
    return all(
        line.decision == "approved"
        or (line.decision == "review" and set(line.reasons) - _NOTES == {"needs_inspection"})
        for line in decision.lines
    )


def overall(lines: tuple[LineDecision, ...]) -> Overall:
    if any(line.decision == "review" for line in lines):
        return "review"
    if all(line.decision == "declined" for line in lines):
        return "declined"
    if all(line.decision == "approved" and line.refund_percent == 100 for line in lines):
        return "approved"
    return "partial"


def decision_to_json(decision: ReturnDecision) -> dict[str, Any]:
    return {
        "store": decision.store,
        "policy_version": decision.policy_version,
        "decision": decision.decision,
        "window": decision.window.to_json(),
        "refund": decision.refund.to_json(),
        "pending_review": decision.pending_review.to_json(),
        "lines": [
            {
                "line_item_id": line.line_item_id,
                "decision": line.decision,
                "resolution": line.resolution,
                "refund_percent": line.refund_percent,
                "refund_amount": str(line.refund_amount),
                "refund_items": str(line.refund_items),
                "refund_tax": str(line.refund_tax),
                "currency": line.currency,
                "return_shipping_paid_by": line.return_shipping_paid_by,
                "refund_original_shipping": line.refund_original_shipping,
                "window": line.window.to_json(),
                "reasons": list(line.reasons),
                "explanation": line.explanation,
            }
            for line in decision.lines
        ],
    }

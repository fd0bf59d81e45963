"""The engine's answer as typed values, and its one JSON rendering shared by the CLI and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from worker.domain.policy import Payer

Overall = Literal["approved", "declined", "partial", "review"]
LineVerdict = Literal["approved", "declined", "review"]
Resolution = Literal["refund", "partial_refund", "store_credit", "exchange", "replacement", "none"]
AnchorKind = Literal["delivery", "estimated_delivery", "fulfillment", "unknown"]


@dataclass(frozen=True)
class WindowSpan:
    anchor: AnchorKind
    starts: date | None
    ends: date | None


@dataclass(frozen=True, slots=True)
class LineDecision:
    """One returned line; a line in review carries what the policy would grant once a person confirms."""

    line_item_id: int
    decision: LineVerdict
    resolution: Resolution
    refund_percent: int
    refund_amount: Decimal
    currency: str
    return_shipping_paid_by: Payer
    refund_original_shipping: bool
    reasons: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class ReturnDecision:
    store: str
    policy_version: str
    decision: Overall
    window: WindowSpan
    lines: tuple[LineDecision, ...]


def overall(lines: tuple[LineDecision, ...]) -> Overall:
    if any(line.decision == "review" for line in lines):
        return "review"
    if all(line.decision == "declined" for line in lines):
        return "declined"
    if all(line.decision == "approved" and line.refund_percent == 100 for line in lines):
        return "approved"
    return "partial"


def decision_to_json(decision: ReturnDecision) -> dict[str, Any]:
    window = decision.window
    return {
        "store": decision.store,
        "policy_version": decision.policy_version,
        "decision": decision.decision,
        "window": {
            "anchor": window.anchor,
            "starts": window.starts.isoformat() if window.starts else None,
            "ends": window.ends.isoformat() if window.ends else None,
        },
        "lines": [
            {
                "line_item_id": line.line_item_id,
                "decision": line.decision,
                "resolution": line.resolution,
                "refund_percent": line.refund_percent,
                "refund_amount": str(line.refund_amount),
                "currency": line.currency,
                "return_shipping_paid_by": line.return_shipping_paid_by,
                "refund_original_shipping": line.refund_original_shipping,
                "reasons": list(line.reasons),
                "explanation": line.explanation,
            }
            for line in decision.lines
        ],
    }

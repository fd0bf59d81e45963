"""The returns policy engine: a store's compiled policy and a return request in, a decision per line out."""

from worker.domain.returns.decision import (
    LineDecision,
    RefundSummary,
    ReturnDecision,
    WindowSpan,
    decision_to_json,
    eligible_at_request,
)
from worker.domain.returns.engine import evaluate_return
from worker.domain.returns.request import (
    ProductFacts,
    ReturnLine,
    ReturnRequest,
    ReturnRequestError,
    gift_flags,
    parse_products,
    parse_request,
    parse_timestamp,
)

__all__ = [
    "LineDecision",
    "ProductFacts",
    "RefundSummary",
    "ReturnDecision",
    "ReturnLine",
    "ReturnRequest",
    "ReturnRequestError",
    "WindowSpan",
    "decision_to_json",
    "eligible_at_request",
    "evaluate_return",
    "gift_flags",
    "parse_products",
    "parse_request",
    "parse_timestamp",
]

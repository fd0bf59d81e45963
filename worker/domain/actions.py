"""What the worker may ask Shopify to do: one value for every area's planned action, written to the outbox in the
same transaction as the decision that causes it, and performed later by the sender, once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every action the sender knows how to perform; a plan naming any other is a bug, refused before it is written.
ACTION_NAMES = frozenset(
    {"approve_return", "decline_return", "process_return", "add_tags", "set_order_note", "apply_split_plan"}
)


class UnknownAction(ValueError):
    """A planned action the sender cannot perform."""


@dataclass(frozen=True)
class PlannedAction:
    """An action toward Shopify: `target` is the gid it acts on, `key` makes the same action twice one action."""

    shop: str
    action: str
    target: str
    params: dict[str, Any]
    key: str

    def __post_init__(self) -> None:
        if self.action not in ACTION_NAMES:
            raise UnknownAction(f"unknown outbox action {self.action!r}")

"""The business-day clock that decides when a shipment is late (filled in by the late-deliveries work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DayKind = Literal["business", "calendar"]


@dataclass(frozen=True)
class LateRule:
    """A store's thresholds: late when elapsed days > late_after, escalated when > escalate_after."""

    day_kind: DayKind = "business"
    late_after: int = 21
    escalate_after: int | None = 30

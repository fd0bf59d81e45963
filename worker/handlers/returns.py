"""Return and refund topics."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.events import Event


def handle(ctx: Services, event: Event) -> str:
    return "processed"

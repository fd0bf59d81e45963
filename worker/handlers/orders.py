"""Order topics: keep the order record current."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.events import Event


def handle(ctx: Services, event: Event) -> str:
    if event.topic.startswith("orders/") and "line_items" in event.payload:
        return "processed" if ctx.records.save_order(event.shop, event.payload) else "stale"
    return "processed"

"""Order topics: keep the order record current, and plan how the order ships across the shop's locations."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.domain.events import Event
from worker.services import split


def handle(ctx: Services, event: Event) -> str:
    outcome, saved = "processed", False
    if event.topic.startswith("orders/") and "line_items" in event.payload:
        saved = ctx.records.save_order(event.shop, event.payload)
        outcome = "processed" if saved else "stale"
    if event.topic == "orders/cancelled" and event.order_id is not None:
        split.cancel_order(ctx, event.shop, event.order_id)
    elif event.topic in split.PLANNING_TOPICS:
        split.plan_for(ctx, event, event.payload if saved else None)
    return outcome

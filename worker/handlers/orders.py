"""Order topics: keep the order record current, and plan how the order ships across the shop's locations."""

from __future__ import annotations

from worker import split_planning
from worker.adapters.shopify import legacy_id
from worker.adapters.split_store import SplitStore
from worker.bootstrap import Services
from worker.events import Event

PLANNING_TOPICS = frozenset({"orders/create", "orders/edited", "fulfillment_orders/order_routing_complete"})


def handle(ctx: Services, event: Event) -> str:
    outcome, saved = "processed", False
    if event.topic.startswith("orders/") and "line_items" in event.payload:
        saved = ctx.records.save_order(event.shop, event.payload)
        outcome = "processed" if saved else "stale"
    if event.topic == "orders/cancelled" and event.order_id is not None:
        SplitStore(ctx.engine).cancel(event.shop, event.order_id, "order cancelled")
    elif event.topic in PLANNING_TOPICS:
        order_id = _order_to_plan(ctx, event)
        if order_id is not None:
            split_planning.plan_order(ctx, event.shop, order_id, event.topic, event.payload if saved else None)
    return outcome


def _order_to_plan(ctx: Services, event: Event) -> int | None:
    """routing_complete names only a fulfillment order: its order is known if we have planned that order before
    (the Admin API adapter has no fulfillment order -> order query); otherwise there is nothing to do."""
    if event.topic == "fulfillment_orders/order_routing_complete":
        fulfillment_order = event.payload.get("fulfillment_order") or {}
        if not fulfillment_order.get("id"):
            return None
        return SplitStore(ctx.engine).order_of_fulfillment_order(event.shop, legacy_id(fulfillment_order["id"]))
    return event.order_id

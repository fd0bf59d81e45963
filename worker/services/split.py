"""Multi-warehouse split: plan an order's shipments across the shop's locations (gather from Shopify, decide with
the split planner, record the plan and its outbox actions together), then bring Shopify's fulfillment orders to
match the plan when the sender performs its action.

The plan covers the units still waiting in open or held fulfillment orders at the shop's configured locations.
Shopify's `available` leaves out what this order has already committed, so those units are counted back at the
location they are assigned to; otherwise the planner would see the order competing with itself.

Shopify's split and partial moves are not idempotent: run twice, they split twice. So applying a plan remembers
nothing between steps: before each mutation the fulfillment orders are read again and only what is still missing
is done (`worker.domain.split.execution.next_step`). A run cut short (a crash, a timeout after Shopify acted) is
finished by the next run, never repeated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from config.locations import locations_for
from config.policies import load_policy
from worker.adapters.shopify import (
    FulfillmentOrder,
    ShopifyNotFound,
    ShopifyOutcomeUnknown,
    ShopifyPort,
    legacy_id,
    to_gid,
)
from worker.adapters.split_store import PLANNED, SKIPPED, Decision
from worker.bootstrap import Services
from worker.domain.actions import PlannedAction
from worker.domain.events import Event
from worker.domain.split import Location, OrderLine, SplitInput, SplitPlan, plan_split, plan_to_json
from worker.domain.split.execution import HOLD_REASON, Finished, Hold, Move, next_step, step_limit
from worker.domain.split.model import Objective

log = logging.getLogger(__name__)

NO_ACCESS = "no Admin API access"
NO_LOCATIONS = "no locations configured for this shop"
NOT_IN_SHOPIFY = "Shopify does not know the order (a test notification?)"
NOTHING_TO_SHIP = "nothing left to ship from the configured locations"
PLANNED_STATUSES = frozenset({"open", "on_hold"})
NOTE_PREFIXES = ("Ships in ", "Nothing ships yet: ")
PLANNING_TOPICS = frozenset({"orders/create", "orders/edited", "fulfillment_orders/order_routing_complete"})


def cancel_order(ctx: Services, shop: str, order_id: int) -> None:
    """The order is cancelled: its plan stops, and its actions not yet sent are cancelled."""
    ctx.split.cancel(shop, order_id, "order cancelled")


def plan_for(ctx: Services, event: Event, stored: Mapping[str, Any] | None) -> None:
    """A new, edited or routed order is planned again. `stored` is the order as the caller has just recorded it,
    if it did."""
    order_id = _order_to_plan(ctx, event)
    if order_id is not None:
        ctx.db.lock_order(event.shop, order_id)  # routing_complete names no order: held once it is known
        plan_order(ctx, event.shop, order_id, event.topic, stored)


def _order_to_plan(ctx: Services, event: Event) -> int | None:
    """routing_complete names only a fulfillment order: its order is known if we have planned that order before
    (the Admin API adapter has no fulfillment order -> order query); otherwise there is nothing to do."""
    if event.topic == "fulfillment_orders/order_routing_complete":
        fulfillment_order = event.payload.get("fulfillment_order") or {}
        if not fulfillment_order.get("id"):
            return None
        return ctx.split.order_of_fulfillment_order(event.shop, legacy_id(fulfillment_order["id"]))
    return event.order_id


def plan_order(ctx: Services, shop: str, order_id: int, trigger: str, stored: Mapping[str, Any] | None = None) -> None:
    """Decide and record the order's split; the same decision again records nothing and queues nothing.
    `stored` is the order as the caller has just recorded it, which spares reading it back."""
    store = ctx.split
    if stored is None:
        stored = ctx.records.get_order(shop, order_id)
    if stored and stored.get("cancelled_at"):
        return
    shopify = ctx.shopify_for(shop)
    locations = locations_for(ctx.settings, shop)
    if shopify is None or not locations:
        store.record(
            shop, order_id, Decision(SKIPPED, reason=NO_ACCESS if shopify is None else NO_LOCATIONS), trigger, ctx.now()
        )
        return
    order_gid = to_gid("Order", order_id)
    try:
        order = shopify.fetch_order(order_gid)
        fulfillment_orders = shopify.fetch_fulfillment_orders(order_gid)
    except ShopifyNotFound:
        store.record(shop, order_id, Decision(SKIPPED, reason=NOT_IN_SHOPIFY), trigger, ctx.now())
        return
    if order.get("cancelled_at"):
        return
    store.remember_fulfillment_orders(shop, order_id, [legacy_id(fo.id) for fo in fulfillment_orders])
    decision = decide(shop, shopify, order, fulfillment_orders, locations, _objective(ctx, shop))
    action_ids = store.record(shop, order_id, decision, trigger, ctx.now())
    ctx.dispatch(action_ids)
    log.info("split %s", decision.status, extra={"shop": shop, "order": order_id, "plan": decision.plan_hash})


def _objective(ctx: Services, shop: str) -> Objective:
    """The shop's own [split] objective; a shop without a policy is planned for the fewest packages."""
    store = ctx.settings.policy_for(shop)
    return load_policy(store).split_objective if store else "fewest_packages"


def decide(
    shop: str,
    shopify: ShopifyPort,
    order: Mapping[str, Any],
    fulfillment_orders: Sequence[FulfillmentOrder],
    locations: tuple[Location, ...],
    objective: Objective = "fewest_packages",
) -> Decision:
    """The plan for the units still waiting, by the store's objective, the action that applies it and the note
    that tells the merchant."""
    lines, assigned = units_to_plan(order, fulfillment_orders, {location.id for location in locations})
    if not lines:
        return Decision(SKIPPED, reason=NOTHING_TO_SHIP)
    variants = {line.variant_id for line in lines if line.variant_id is not None}
    levels = shopify.fetch_inventory(variants, [int(location.id) for location in locations])
    plan = plan_split(
        SplitInput(
            lines=lines,
            locations=locations,
            available=available_to_order(lines, assigned, levels, locations),
            destination_country=str((order.get("shipping_address") or {}).get("country_code") or ""),
            assigned=assigned,
        ),
        objective=objective,
    )
    titles = {line.line_item_id: line.title for line in lines}
    plan_json = plan_to_json(plan)
    order_gid = to_gid("Order", int(order["id"]))
    apply_params = {
        "plan": plan_json,
        "locations": [location.id for location in locations],
        "hold_note": backorder_note(plan, titles),
    }
    note = merged_note(order.get("note"), shipping_note(plan, titles))
    return Decision(
        PLANNED,
        plan_hash=plan.plan_hash,
        plan=plan_json,
        apply=PlannedAction(shop, "apply_split_plan", order_gid, apply_params, "apply"),
        note=PlannedAction(shop, "set_order_note", order_gid, {"note": note}, "note"),
    )


def units_to_plan(
    order: Mapping[str, Any], fulfillment_orders: Sequence[FulfillmentOrder], location_ids: set[str]
) -> tuple[tuple[OrderLine, ...], dict[int, dict[str, int]]]:
    """The order's lines with the units still waiting at configured locations, and where each unit is now.
    Custom items without a variant have no stock to plan and stay where Shopify put them."""
    items = {int(item["id"]): item for item in order.get("line_items", [])}
    assigned: dict[int, dict[str, int]] = {}
    variants: dict[int, int] = {}
    for fo in fulfillment_orders:
        location_id = str(fo.location_id)
        if fo.status not in PLANNED_STATUSES or location_id not in location_ids:
            continue
        for fo_line in fo.lines:
            item = items.get(fo_line.line_item_id, {})
            if fo_line.remaining_quantity <= 0 or fo_line.variant_id is None or not item.get("requires_shipping", True):
                continue
            placed = assigned.setdefault(fo_line.line_item_id, {})
            placed[location_id] = placed.get(location_id, 0) + fo_line.remaining_quantity
            variants[fo_line.line_item_id] = fo_line.variant_id
    lines = tuple(
        OrderLine(
            line_item_id=line_item_id,
            variant_id=variants[line_item_id],
            quantity=sum(placed.values()),
            title=str(items.get(line_item_id, {}).get("name") or items.get(line_item_id, {}).get("title") or ""),
        )
        for line_item_id, placed in sorted(assigned.items())
    )
    return lines, assigned


def available_to_order(
    lines: tuple[OrderLine, ...],
    assigned: Mapping[int, Mapping[str, int]],
    levels: Mapping[int, Mapping[int, int]],
    locations: tuple[Location, ...],
) -> dict[int, dict[str, int]]:
    """Units of each variant this order may use at each location: Shopify's available plus what the order itself
    already holds there (available may be negative when a store sells past zero)."""
    committed: dict[int, dict[str, int]] = {}
    for line in lines:
        if line.variant_id is not None:
            held = committed.setdefault(line.variant_id, {})
            for location_id, units in assigned.get(line.line_item_id, {}).items():
                held[location_id] = held.get(location_id, 0) + units
    return {
        variant_id: {
            location.id: max(0, levels.get(variant_id, {}).get(int(location.id), 0) + held.get(location.id, 0))
            for location in locations
        }
        for variant_id, held in committed.items()
    }


def shipping_note(plan: SplitPlan, titles: Mapping[int, str]) -> str:
    """The order note a merchant reads: how many packages, what each carries and from where, and what waits."""
    packages = "; ".join(
        f"{_items(shipment.lines, titles)} from {shipment.location_name} (about {shipment.estimated_delivery_days} "
        f"days)"
        for shipment in plan.shipments
    )
    waiting = backorder_note(plan, titles)
    if not plan.shipments:
        return f"{NOTE_PREFIXES[1]}waiting for stock: {waiting}."
    note = f"Ships in {plan.packages} package{'' if plan.packages == 1 else 's'}: {packages}."
    return f"{note} Waiting for stock: {waiting}." if waiting else note


def backorder_note(plan: SplitPlan, titles: Mapping[int, str]) -> str:
    return "; ".join(
        f"{_title(backorder.line_item_id, titles)} x{backorder.quantity} ({backorder.reason})"
        for backorder in plan.backorders
    )


def merged_note(existing: str | None, ours: str) -> str:
    """The order's note with our line replaced: what the customer or staff wrote stays."""
    kept = [line for line in (existing or "").splitlines() if not line.startswith(NOTE_PREFIXES)]
    return "\n".join([*kept, ours]).strip()


def _items(lines: Sequence[Any], titles: Mapping[int, str]) -> str:
    return ", ".join(f"{_title(line.line_item_id, titles)} x{line.quantity}" for line in lines)


def _title(line_item_id: int, titles: Mapping[int, str]) -> str:
    return titles.get(line_item_id) or f"line {line_item_id}"


# Applying a plan in Shopify ------------------------------------------------------------------------------------


def apply_split_plan(shopify: ShopifyPort, order_gid: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The outbox performer: one mutation per step, each decided on a fresh read; returns what was done."""
    plan, scope, hold_note = params["plan"], frozenset(params["locations"]), params.get("hold_note") or ""
    steps: list[dict[str, Any]] = []
    for _ in range(step_limit(plan)):
        step = next_step(plan, scope, shopify.fetch_fulfillment_orders(order_gid))
        if isinstance(step, Finished):
            return {"state": step.state, "detail": step.detail, "steps": steps}
        try:
            _perform(shopify, step, hold_note)
        except ShopifyOutcomeUnknown:
            # Shopify may have done it: the next read shows whether, and the step after is decided from that.
            steps.append({**step.describe(), "outcome": "answer lost"})
            continue
        steps.append(step.describe())
    return {"state": "unfinished", "detail": "Shopify did not reach the plan in the expected steps", "steps": steps}


def _perform(shopify: ShopifyPort, step: Move | Hold, hold_note: str) -> None:
    if isinstance(step, Move):
        shopify.move_fulfillment_order(step.fulfillment_order_id, int(step.location_id), step.lines)
    else:
        shopify.hold_fulfillment_order(step.fulfillment_order_id, HOLD_REASON, step.note(hold_note), step.lines)

"""Fulfillment topics: shipments with their location, tracking and carrier status, and each shipment's clock
under its store's late-delivery rule: a flag past the first threshold, a case past the second or on a carrier
failure, the flag resolved by the delivery.

Two paths keep the clocks, both idempotent (one flag and one case per shipment at most, outbox keys per action):
a check scheduled for the next crossing whenever a fulfillment is recorded, and a periodic sweep that catches
what a lost job or a missed webhook left behind."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine

from config.policies import load_policy
from config.settings import Settings
from worker.adapters.late_store import LateStore, PlannedAction, Shipment
from worker.bootstrap import Services
from worker.domain.clock import BusinessCalendar, LateRule, LateState, classify_many, next_crossing, threshold_state
from worker.events import Event, parse_time

log = logging.getLogger(__name__)

LATE_CHECK_JOB = "worker.jobs.late_check"
PAGE = 5000
LATE_TAG = "late-delivery"
ESCALATED_TAG = "late-delivery-escalated"
LATE_REASON = "possibly held at customs"
FAILURE_REASON = "the carrier reported a delivery failure"
# Shopify's shipment statuses; any other is recorded as given and logged.
KNOWN_STATUSES = frozenset(
    {
        "attempted_delivery",
        "carrier_picked_up",
        "confirmed",
        "delayed",
        "delivered",
        "failure",
        "in_transit",
        "label_printed",
        "label_purchased",
        "out_for_delivery",
        "picked_up",
        "ready_for_pickup",
    }
)
SEVERITY: dict[LateState, int] = {"delivered": 0, "on_time": 1, "late": 2, "escalated": 3}


def handle(ctx: Services, event: Event) -> str:
    payload = event.payload
    if event.topic == "fulfillment_events/create":
        at = parse_time(payload.get("happened_at")) or parse_time(payload.get("created_at")) or event.received_at
        fulfillment_id, status = payload["fulfillment_id"], payload["status"]
        fresh = ctx.records.record_shipment_status(event.shop, payload["order_id"], fulfillment_id, status, at)
    else:
        fulfillment_id, status = payload["id"], payload.get("shipment_status")
        fresh = ctx.records.save_fulfillment(event.shop, payload)
    if status and status not in KNOWN_STATUSES:
        log.warning("unknown shipment status %r kept as given", status, extra={"shop": event.shop})
    check_shipment(ctx, event.shop, fulfillment_id)
    return "processed" if fresh else "stale"


# The store's rule and calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Watch:
    """A store's late-delivery rule with the calendar it counts in; one per store per process."""

    store: str
    rule: LateRule
    calendar: BusinessCalendar


@cache
def _store_watch(store: str) -> Watch:
    policy = load_policy(store)
    return Watch(policy.name, policy.late, BusinessCalendar(policy.country, policy.subdivision, policy.timezone))


def watch_for(settings: Settings, shop: str) -> Watch | None:
    """The shop's rule and calendar, or None for a shop without a store policy: its shipments are not watched."""
    store = settings.policy_for(shop)
    if store is None:
        log.info("no store policy: late deliveries are not watched", extra={"shop": shop})
        return None
    return _store_watch(store)


# Decisions --------------------------------------------------------------------------------------------------


@dataclass
class Findings:
    """What a look at some shipments decided: records to write and the Shopify actions they cause."""

    flags: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)


def order_gid(order_id: int) -> str:
    return f"gid://shopify/Order/{order_id}"


def judge(watch: Watch, shipments: Sequence[Shipment], states: Sequence[LateState], now: datetime) -> Findings:
    """Flags for undelivered shipments past the first threshold, cases past the second or failed by the carrier;
    anything a shipment already has is left alone. A shipment escalated before it was ever flagged gets both."""
    rule, calendar = watch.rule, watch.calendar
    found = Findings()
    notes: dict[tuple[str, int], str | None] = {}
    for shipment, state in zip(shipments, states, strict=True):
        failed = shipment.shipment_status == "failure"
        flag_due = state in ("late", "escalated") and shipment.flagged_at is None
        case_due = (state == "escalated" or failed) and shipment.case_opened_at is None
        if not (flag_due or case_due):
            continue
        elapsed = calendar.elapsed_days(shipment.shipped_at, now, rule.day_kind)
        record = {
            "shop": shipment.shop,
            "order_id": shipment.order_id,
            "fulfillment_id": shipment.fulfillment_id,
            "elapsed_days": elapsed,
            "day_kind": rule.day_kind,
            "calendar": calendar.name,
            "calendar_version": calendar.version,
        }
        key = f"late:{shipment.shop}:{shipment.fulfillment_id}"
        target = order_gid(shipment.order_id)
        if flag_due:
            found.flags.append(
                {
                    **record,
                    "state": "late",
                    "reason": LATE_REASON,
                    "status": "open",
                    "flagged_at": now,
                    "threshold": rule.late_after,
                }
            )
            order = (shipment.shop, shipment.order_id)
            line = _late_note(shipment, elapsed, rule)
            earlier = notes.get(order, shipment.order_note)
            notes[order] = line if not earlier else earlier if line in earlier else f"{earlier}\n\n{line}"
            found.actions += [
                PlannedAction(shipment.shop, "add_tags", target, {"tags": [LATE_TAG]}, f"{key}:late"),
                PlannedAction(shipment.shop, "set_order_note", target, {"note": notes[order]}, f"{key}:late:note"),
            ]
        if case_due:
            by_clock = state == "escalated"
            found.cases.append(
                {
                    **record,
                    "state": "escalated",
                    "reason": _escalation_reason(rule) if by_clock else FAILURE_REASON,
                    "status": "open",
                    "opened_at": now,
                    "threshold": rule.escalate_after if by_clock else None,
                }
            )
            found.actions.append(
                PlannedAction(shipment.shop, "add_tags", target, {"tags": [ESCALATED_TAG]}, f"{key}:escalated")
            )
    return found


def _late_note(shipment: Shipment, elapsed: int, rule: LateRule) -> str:
    tracking = f" ({shipment.tracking})" if shipment.tracking else ""
    return (
        f"Shipment {shipment.fulfillment_id}{tracking}: {elapsed} {rule.day_kind} days in transit, "
        f"over {rule.late_after}: {LATE_REASON}."
    )


def _escalation_reason(rule: LateRule) -> str:
    return f"in transit over {rule.escalate_after} {rule.day_kind} days: reship or refund"


def worst(states: Iterable[LateState]) -> LateState:
    """An order's state: the worst of its shipments' (an order with no shipment in transit is on time)."""
    return max(states, key=SEVERITY.__getitem__, default="on_time")


# The check scheduled for each shipment -----------------------------------------------------------------------


def check_late(ctx: Services, payload: dict[str, Any]) -> str:
    return check_shipment(ctx, payload["shop"], int(payload["fulfillment_id"]))


def check_shipment(ctx: Services, shop: str, fulfillment_id: int) -> str:
    """Re-read the shipment and act on what it is now: settle a delivery, or record what is due and schedule
    the next look. Returns the shipment's state, or why there is nothing to judge."""
    watch = watch_for(ctx.settings, shop)
    if watch is None:
        return "unwatched"
    store = LateStore(ctx.engine)
    shipment = store.shipment(shop, fulfillment_id)
    if shipment is None:
        return "not shipped"
    if shipment.delivered_at is not None:
        store.settle_delivery(shop, fulfillment_id, shipment.delivered_at, _arrival_note(watch, shipment))
        return "delivered"
    now = ctx.now()
    (state,) = classify_many(watch.calendar, watch.rule, [shipment.shipped_at], now)
    found = judge(watch, [shipment], [state], now)
    ctx.dispatch(store.write(found.flags, found.cases, found.actions, now))
    _schedule_next_check(ctx, watch, shipment, now)
    return state


def _arrival_note(watch: Watch, shipment: Shipment) -> str:
    assert shipment.delivered_at is not None
    day = watch.calendar.local_date(shipment.delivered_at)
    elapsed = watch.calendar.elapsed_days(shipment.shipped_at, shipment.delivered_at, watch.rule.day_kind)
    return f"The parcel arrived on {day.isoformat()}, {elapsed} {watch.rule.day_kind} days after shipping."


def _schedule_next_check(ctx: Services, watch: Watch, shipment: Shipment, now: datetime) -> None:
    """One job per (shop, shipment, state it will reach), so recording the fulfillment again adds nothing."""
    at = next_crossing(watch.calendar, watch.rule, shipment.shipped_at, now)
    if at is None:
        return
    state = threshold_state(watch.rule, watch.calendar.elapsed_days(shipment.shipped_at, at, watch.rule.day_kind))
    shop, fulfillment_id = shipment.shop, shipment.fulfillment_id
    ctx.jobs.enqueue(
        LATE_CHECK_JOB,
        {"shop": shop, "fulfillment_id": fulfillment_id},
        f"late check {shop} {fulfillment_id} {state}",
        at=at.astimezone(UTC),
        job_id=f"late-{re.sub(r'[^A-Za-z0-9-]', '_', shop)}-{fulfillment_id}-{state}",
    )


# The sweep ---------------------------------------------------------------------------------------------------


@dataclass
class SweepCounts:
    flags: int = 0
    cases: int = 0
    actions: int = 0
    unwatched: list[str] = field(default_factory=list)


def sweep_shop(
    store: LateStore,
    shop: str,
    watch: Watch,
    now: datetime,
    dispatch: Callable[[list[int]], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepCounts:
    """Record everything due for one shop at `now`, a page at a time: the database hands over only shipments
    past a cutoff and short of a record, and each is classified by comparing two instants."""
    rule, calendar = watch.rule, watch.calendar
    late_cutoff = calendar.overdue_cutoff(now, rule.late_after, rule.day_kind)
    escalate_after = rule.escalate_after
    escalate_cutoff = None if escalate_after is None else calendar.overdue_cutoff(now, escalate_after, rule.day_kind)
    counts, after = SweepCounts(), 0
    while page := store.overdue(shop, late_cutoff, escalate_cutoff, after, PAGE):
        found = judge(watch, page, classify_many(calendar, rule, [s.shipped_at for s in page], now), now)
        action_ids = store.write(found.flags, found.cases, found.actions, now)
        if dispatch is not None:
            dispatch(action_ids)
        counts.flags, counts.cases = counts.flags + len(found.flags), counts.cases + len(found.cases)
        counts.actions += len(action_ids)
        after = page[-1].fulfillment_id
        if progress is not None:
            progress(len(page))
    return counts


def sweep(ctx: Services, now: datetime | None = None, stores: Iterable[str] | None = None) -> SweepCounts:
    """Every watched shop with shipments in transit (optionally only shops under the given store policies)."""
    now = now or ctx.now()
    store, total = LateStore(ctx.engine), SweepCounts()
    watched = _watched_shops(store, ctx.settings, stores)
    total.unwatched = [shop for shop in store.shops_in_transit() if ctx.settings.policy_for(shop) is None]
    for shop, watch in watched.items():
        counts = sweep_shop(store, shop, watch, now, dispatch=ctx.dispatch)
        total.flags, total.cases = total.flags + counts.flags, total.cases + counts.cases
        total.actions += counts.actions
    log.info("late sweep: %d flags, %d cases, %d actions", total.flags, total.cases, total.actions)
    return total


def sweep_late(ctx: Services) -> int:
    """The periodic sweep's entry: the number of flags and cases it recorded."""
    counts = sweep(ctx)
    return counts.flags + counts.cases


# What is late now ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LateShipment:
    shop: str
    store: str
    order_id: int
    fulfillment_id: int
    state: LateState
    elapsed_days: int
    day_kind: str
    since: datetime


def _watched_shops(store: LateStore, settings: Settings, stores: Iterable[str] | None) -> dict[str, Watch]:
    wanted = None if stores is None else set(stores)
    watched = {shop: w for shop in store.shops_in_transit() if (w := watch_for(settings, shop)) is not None}
    return {shop: w for shop, w in watched.items() if wanted is None or w.store in wanted}


def count_in_transit(engine: Engine, settings: Settings, stores: Iterable[str] | None = None) -> int:
    """How many shipments `late_shipments` will read: the length of its progress."""
    store = LateStore(engine)
    return store.count_in_transit(_watched_shops(store, settings, stores))


def late_shipments(
    engine: Engine,
    settings: Settings,
    now: datetime,
    stores: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[LateShipment]:
    """Every undelivered shipment that is late or escalated at `now`, whether or not a sweep has recorded it yet;
    reads only. `since` is when it was recorded, or else when its clock crossed the threshold."""
    store = LateStore(engine)
    found: list[LateShipment] = []
    for shop, watch in _watched_shops(store, settings, stores).items():
        after = 0
        while page := store.in_transit(shop, after, PAGE):
            states = classify_many(watch.calendar, watch.rule, [s.shipped_at for s in page], now)
            found += [late for s, state in zip(page, states, strict=True) if (late := _late(watch, s, state, now))]
            after = page[-1].fulfillment_id
            if progress is not None:
                progress(len(page))
    return found


def _late(watch: Watch, shipment: Shipment, state: LateState, now: datetime) -> LateShipment | None:
    rule, calendar = watch.rule, watch.calendar
    if shipment.case_opened_at is not None:
        state = "escalated"
    elif shipment.flagged_at is not None:
        state = worst([state, "late"])
    if state not in ("late", "escalated"):
        return None
    recorded = shipment.case_opened_at if state == "escalated" else shipment.flagged_at
    threshold = rule.escalate_after if state == "escalated" and rule.escalate_after is not None else rule.late_after
    return LateShipment(
        shop=shipment.shop,
        store=watch.store,
        order_id=shipment.order_id,
        fulfillment_id=shipment.fulfillment_id,
        state=state,
        elapsed_days=calendar.elapsed_days(shipment.shipped_at, now, rule.day_kind),
        day_kind=rule.day_kind,
        since=recorded or calendar.crossing_time(shipment.shipped_at, threshold, rule.day_kind),
    )

"""Late deliveries: shipments recorded with their location, tracking and carrier status, and each shipment's clock
under its store's late-delivery rule: a flag past the first threshold, a case past the second or on a carrier
failure, the flag resolved by the delivery (the decisions are `worker.domain.late`'s).

Two paths keep the clocks, both idempotent (one flag and one case per shipment at most, outbox keys per action):
a check scheduled for the next crossing whenever a fulfillment is recorded, and a periodic sweep that catches
what a lost job or a missed webhook left behind."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from config.policies import load_policy
from config.settings import Settings
from worker.adapters.late_store import LateRecord, LateStore
from worker.bootstrap import Services
from worker.domain.clock import BusinessCalendar, classify_many, next_crossing, threshold_state
from worker.domain.events import Event, parse_time
from worker.domain.late import CASE_RESOLUTIONS, LateShipment, Shipment, Watch, arrival_note, judge, late_now

log = logging.getLogger(__name__)

LATE_CHECK_JOB = "worker.jobs.late_check"
PAGE = 5000
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


def record_fulfillment(ctx: Services, event: Event) -> str:
    """A fulfillment created or updated: record it, then look at its clock."""
    payload = event.payload
    fresh = ctx.records.save_fulfillment(event.shop, payload)
    return _shipment_changed(ctx, event, payload["id"], payload.get("shipment_status"), fresh)


def record_shipment_event(ctx: Services, event: Event) -> str:
    """A carrier's tracking event: record the shipment's new status, then look at its clock."""
    payload = event.payload
    at = parse_time(payload.get("happened_at")) or parse_time(payload.get("created_at")) or event.received_at
    fulfillment_id, status = payload["fulfillment_id"], payload["status"]
    fresh = ctx.records.record_shipment_status(event.shop, payload["order_id"], fulfillment_id, status, at)
    return _shipment_changed(ctx, event, fulfillment_id, status, fresh)


def _shipment_changed(ctx: Services, event: Event, fulfillment_id: int, status: str | None, fresh: bool) -> str:
    if status and status not in KNOWN_STATUSES:
        log.warning("unknown shipment status %r kept as given", status, extra={"shop": event.shop})
    check_shipment(ctx, event.shop, fulfillment_id)
    return "processed" if fresh else "stale"


# The store's rule and calendar ---------------------------------------------------------------------------------


@cache
def _store_watch(store: str) -> Watch:
    policy = load_policy(store)
    calendar = BusinessCalendar(policy.country, policy.subdivision, policy.timezone)
    return Watch(policy.name, policy.late, calendar, policy.late_texts)


def watch_for(settings: Settings, shop: str) -> Watch | None:
    """The shop's rule and calendar, or None for a shop without a store policy: its shipments are not watched."""
    store = settings.policy_for(shop)
    if store is None:
        log.info("no store policy: late deliveries are not watched", extra={"shop": shop})
        return None
    return _store_watch(store)


# The check scheduled for each shipment -----------------------------------------------------------------------


def check_shipment(ctx: Services, shop: str, fulfillment_id: int) -> str:
    """Re-read the shipment and act on what it is now: settle a delivery, or record what is due and schedule
    the next look. Returns the shipment's state, or why there is nothing to judge."""
    watch = watch_for(ctx.settings, shop)
    if watch is None:
        return "unwatched"
    if ctx.uninstalled(shop):
        return "uninstalled"
    with ctx.late.holding(shop):
        return _check(ctx, watch, shop, fulfillment_id)


def _check(ctx: Services, watch: Watch, shop: str, fulfillment_id: int) -> str:
    store = ctx.late
    shipment = store.shipment(shop, fulfillment_id)
    if shipment is None:
        return "not shipped"
    if shipment.delivered_at is not None:
        store.settle_delivery(shop, fulfillment_id, shipment.delivered_at, arrival_note(watch, shipment))
        return "delivered"
    now = ctx.now()
    (state,) = classify_many(watch.calendar, watch.rule, [shipment.shipped_at], now)
    found = judge(watch, [shipment], [state], now)
    ctx.dispatch(store.write(found.flags, found.cases, found.actions, now))
    _schedule_next_check(ctx, watch, shipment, now)
    return state


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
        job_id=f"{_checks_of(shop)}{fulfillment_id}-{state}",
    )


def _checks_of(shop: str) -> str:
    """What the ids of the shop's scheduled checks start with."""
    return f"late-{re.sub(r'[^A-Za-z0-9-]', '_', shop)}-"


def cancel_checks(ctx: Services, shop: str) -> int:
    """Take the shop's scheduled checks off the schedule (the app was uninstalled); returns how many."""
    registry = ctx.jobs.queue.scheduled_job_registry
    prefix = _checks_of(shop)
    mine = [job_id for job_id in registry.get_job_ids() if job_id.startswith(prefix)]
    for job_id in mine:
        registry.remove(job_id, delete_job=True)
    return len(mine)


# A person closes a case -------------------------------------------------------------------------------------


class CaseRefused(ValueError):
    """A closing without a known resolution, a name or a reason; nothing is written."""


def close_case(ctx: Services, case_id: int, resolution: str, by: str, why: str) -> LateRecord:
    """Close an open case as reshipped, refunded, arrived or no action, keeping who closed it and why."""
    by, why = by.strip(), why.strip()
    if resolution not in CASE_RESOLUTIONS:
        raise CaseRefused(f"a case is closed as one of {', '.join(CASE_RESOLUTIONS)}, not {resolution!r}")
    if not by or not why or len(by) > 255 or "\x00" in by + why:
        raise CaseRefused("closing a case needs who closes it (at most 255 characters) and why")
    closed = ctx.late.close_case(case_id, resolution, by, why, ctx.now())
    log.info("late case closed", extra={"shop": closed.shop, "case": case_id, "resolution": resolution})
    return closed


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
    while True:
        with store.holding(shop):
            page = store.overdue(shop, late_cutoff, escalate_cutoff, after, PAGE)
            if not page:
                return counts
            found = judge(watch, page, classify_many(calendar, rule, [s.shipped_at for s in page], now), now)
            action_ids = store.write(found.flags, found.cases, found.actions, now)
            if dispatch is not None:
                dispatch(action_ids)
        counts.flags, counts.cases = counts.flags + len(found.flags), counts.cases + len(found.cases)
        counts.actions += len(action_ids)
        after = page[-1].fulfillment_id
        if progress is not None:
            progress(len(page))


def sweep(ctx: Services, now: datetime | None = None, stores: Iterable[str] | None = None) -> SweepCounts:
    """Every watched shop with shipments in transit (optionally only shops under the given store policies)."""
    now = now or ctx.now()
    store, total = ctx.late, SweepCounts()
    watched = _watched_shops(store, ctx.settings, stores)
    total.unwatched = [shop for shop in store.shops_in_transit() if ctx.settings.policy_for(shop) is None]
    for shop, watch in watched.items():
        if ctx.uninstalled(shop):
            continue
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


def _watched_shops(store: LateStore, settings: Settings, stores: Iterable[str] | None) -> dict[str, Watch]:
    wanted = None if stores is None else set(stores)
    watched = {shop: w for shop in store.shops_in_transit() if (w := watch_for(settings, shop)) is not None}
    return {shop: w for shop, w in watched.items() if wanted is None or w.store in wanted}


def count_in_transit(ctx: Services, stores: Iterable[str] | None = None) -> int:
    """How many shipments `late_shipments` will read: the length of its progress."""
    return ctx.late.count_in_transit(_watched_shops(ctx.late, ctx.settings, stores))


def late_shipments(
    ctx: Services,
    now: datetime,
    stores: Iterable[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[LateShipment]:
    """Every undelivered shipment that is late or escalated at `now`, whether or not a sweep has recorded it yet;
    reads only. `since` is when it was recorded, or else when its clock crossed the threshold."""
    store, found = ctx.late, list[LateShipment]()
    for shop, watch in _watched_shops(store, ctx.settings, stores).items():
        after = 0
        while page := store.in_transit(shop, after, PAGE):
            states = classify_many(watch.calendar, watch.rule, [s.shipped_at for s in page], now)
            found += [late for s, state in zip(page, states, strict=True) if (late := late_now(watch, s, state, now))]
            after = page[-1].fulfillment_id
            if progress is not None:
                progress(len(page))
    return found

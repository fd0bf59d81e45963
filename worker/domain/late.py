"""Late deliveries decided: each shipment's clock under its store's rule gives flags past the first threshold,
cases past the second or on a carrier failure, and the Shopify actions they call for. Plain values in and out; the
caller reads the shipments and writes what is decided."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.domain.actions import PlannedAction
from worker.domain.clock import BusinessCalendar, LateRule, LateState
from worker.domain.ids import to_gid
from worker.domain.policy import DEFAULT_LATE_TEXTS, LateTexts

LATE_TAG = "late-delivery"
ESCALATED_TAG = "late-delivery-escalated"
FAILURE_REASON = "the carrier reported a delivery failure"
SEVERITY: dict[LateState, int] = {"delivered": 0, "on_time": 1, "late": 2, "escalated": 3}
# How a person closes a case: a new parcel sent, the order refunded, the parcel arrived after all, nothing to do.
CASE_RESOLUTIONS = ("reshipped", "refunded", "arrived", "no_action")


@dataclass(frozen=True)
class Shipment:
    """A fulfillment that left the warehouse, with what the late-delivery clock needs to judge and report it."""

    shop: str
    order_id: int
    fulfillment_id: int
    shipped_at: datetime
    delivered_at: datetime | None
    shipment_status: str | None
    tracking: str | None
    order_note: str | None
    flagged_at: datetime | None
    case_opened_at: datetime | None


def tracking_text(company: str | None, numbers: Iterable[object] | None) -> str | None:
    """A shipment's carrier and tracking numbers as one line, or None when it has neither."""
    listed = ", ".join(str(number) for number in numbers or [])
    return " ".join(part for part in (company, listed) if part) or None


@dataclass(frozen=True)
class Watch:
    """A store's late-delivery rule with the calendar it counts in and the words its flags and cases use; one per
    store per process."""

    store: str
    rule: LateRule
    calendar: BusinessCalendar
    texts: LateTexts = DEFAULT_LATE_TEXTS


@dataclass
class Findings:
    """What a look at some shipments decided: records to write and the Shopify actions they cause."""

    flags: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)


def judge(watch: Watch, shipments: Sequence[Shipment], states: Sequence[LateState], now: datetime) -> Findings:
    """Flags for undelivered shipments past the first threshold, cases past the second or failed by the carrier;
    anything a shipment already has is left alone. A shipment escalated before it was ever flagged gets both."""
    rule, calendar, texts = watch.rule, watch.calendar, watch.texts
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
        target = to_gid("Order", shipment.order_id)
        if flag_due:
            found.flags.append(
                {
                    **record,
                    "state": "late",
                    "reason": texts.flag_reason,
                    "status": "open",
                    "flagged_at": now,
                    "threshold": rule.late_after,
                }
            )
            order = (shipment.shop, shipment.order_id)
            line = texts.flag_note(shipment.fulfillment_id, shipment.tracking, elapsed, rule)
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
                    "reason": texts.case_reason(rule) if by_clock else FAILURE_REASON,
                    "status": "open",
                    "opened_at": now,
                    "threshold": rule.escalate_after if by_clock else None,
                }
            )
            found.actions.append(
                PlannedAction(shipment.shop, "add_tags", target, {"tags": [ESCALATED_TAG]}, f"{key}:escalated")
            )
    return found


def worst(states: Iterable[LateState]) -> LateState:
    """An order's state: the worst of its shipments' (an order with no shipment in transit is on time)."""
    return max(states, key=SEVERITY.__getitem__, default="on_time")


def arrival_note(watch: Watch, shipment: Shipment) -> str:
    assert shipment.delivered_at is not None
    day = watch.calendar.local_date(shipment.delivered_at)
    elapsed = watch.calendar.elapsed_days(shipment.shipped_at, shipment.delivered_at, watch.rule.day_kind)
    return f"The parcel arrived on {day.isoformat()}, {elapsed} {watch.rule.day_kind} days after shipping."


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


def late_now(watch: Watch, shipment: Shipment, state: LateState, now: datetime) -> LateShipment | None:
    """The shipment as `late report` shows it, or None while it is on time: what is recorded counts even where the
    clock alone would say less."""
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

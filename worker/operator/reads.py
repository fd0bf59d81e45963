"""What each page shows, gathered through the stores: orders named by their number, never by their customer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from redis.exceptions import RedisError

from config.settings import Settings
from worker.adapters.late_store import LateRecord
from worker.adapters.returns_store import AWAITING_REVIEW, ReturnRecord
from worker.adapters.split_store import PlanRecord
from worker.bootstrap import Services
from worker.domain.late import Watch
from worker.services.late_deliveries import watch_for
from worker.services.split import PLANNING_TOPICS

COUNT_CAP = 1000
CASE = "escalated"  # the state of a late case; a flag's is "late"
NEEDS_DETAILS = "needs_details"


@dataclass
class Orders:
    """Order names and line titles, read once per order per page; a shop's order we do not hold shows its id."""

    services: Services
    _seen: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)

    def held(self, shop: str, order_id: int) -> dict[str, Any] | None:
        if (shop, order_id) not in self._seen:
            self._seen[shop, order_id] = self.services.records.get_order(shop, order_id)
        return self._seen[shop, order_id]

    def name(self, shop: str, order_id: int | None) -> str:
        if order_id is None:
            return "-"
        order = self.held(shop, order_id)
        return f"{order['name']} ({order_id})" if order and order.get("name") else str(order_id)

    def line_title(self, shop: str, order_id: int | None, line_item_id: int) -> str:
        order = self.held(shop, order_id) if order_id is not None else None
        for line in (order or {}).get("line_items", []):
            if line.get("id") == line_item_id:
                return str(line.get("name") or line.get("title") or line_item_id)
        return f"line {line_item_id}"


ORDER_GID = "gid://shopify/Order/"


def order_of(target: str) -> int | None:
    """The order an action acts on, when its target is an order (a return's action names the return)."""
    digits = target.removeprefix(ORDER_GID)
    return int(digits) if target.startswith(ORDER_GID) and digits.isascii() and digits.isdigit() else None


def capped(items: Iterable[Any]) -> str:
    count = len(list(items))
    return f"{COUNT_CAP}+" if count >= COUNT_CAP else str(count)


@dataclass(frozen=True)
class Count:
    what: str
    number: str
    page: str  # the endpoint that lists them, or "" where no page does
    args: dict[str, str] = field(default_factory=dict)


def waiting(services: Services) -> list[Count]:
    """Everything that waits on a person, each with the page where it is done."""
    returns, outbox = services.returns, services.outbox
    late = services.late.open_records()
    return [
        Count(
            "Returns awaiting review",
            capped(returns.list_returns(status=AWAITING_REVIEW, limit=COUNT_CAP)),
            "views.returns",
            {"status": AWAITING_REVIEW},
        ),
        Count(
            "Returns needing details",
            capped(returns.list_returns(status=NEEDS_DETAILS, limit=COUNT_CAP)),
            "views.returns",
            {"status": NEEDS_DETAILS},
        ),
        *(
            Count(
                what, capped(returns.list_returns(limit=COUNT_CAP, stages=[stage])), "views.returns", {"stage": stage}
            )
            for what, stage in (
                ("Refund proposals to confirm", "proposed"),
                ("Inspections to review", "inspection_review"),
            )
        ),
        Count("Open late-delivery cases", str(sum(1 for r in late if r.state == CASE)), "views.late", {"kind": "case"}),
        Count("Open late-shipment flags", str(sum(1 for r in late if r.state != CASE)), "views.late", {"kind": "flag"}),
        Count(
            "Events failed",
            capped(services.records.list_events(status="failed", limit=COUNT_CAP)),
            "views.events",
            {"status": "failed"},
        ),
        Count("Shopify actions waiting", capped(outbox.pending()), "views.actions", {"status": "pending"}),
        Count(
            "Shopify actions refused by Shopify",
            capped(outbox.list(status="failed", limit=COUNT_CAP)),
            "views.actions",
            {"status": "failed"},
        ),
    ]


def activity(services: Services, redis_down: bool = False) -> tuple[list[Count], bool]:
    """What the worker has done and holds queued; the queue's counts are unknown while Redis cannot be reached
    (the second value says so). Redis known down is not asked again: each try waits out the client's retries."""
    counts = [Count("Events logged", str(services.records.count("events")), "views.events")]
    if redis_down:
        return counts, True
    try:
        queue = services.jobs.queue
        counts += [
            Count("Jobs queued", str(queue.count), "rq_dashboard.queues_overview"),
            Count("Jobs failed", str(queue.failed_job_registry.count), "rq_dashboard.queues_overview"),
        ]
    except RedisError:
        return counts, True
    return counts, False


@dataclass(frozen=True)
class DryRuns:
    """Shops whose Shopify actions are recorded but not performed (no Admin API credentials), and how many were."""

    shops: list[str]
    none_can_act: bool
    recorded: str


def dry_runs(services: Services) -> DryRuns:
    settings, credentials = services.settings, services.credentials
    known = credentials.shops() if credentials is not None else sorted(settings.shop_policies)
    shops = [shop for shop in known if services.shopify_for(shop) is None]
    none_can_act = not known and not settings.shopify_access_token and not settings.shopify_api_key
    return DryRuns(shops, none_can_act, capped(services.outbox.list(status="dry_run", limit=COUNT_CAP)))


@dataclass(frozen=True)
class ShopRow:
    shop: str
    grant: str
    status: str
    reason: str | None
    token_until: datetime | None


def shop_rows(services: Services) -> list[ShopRow]:
    """Each shop's credentials as the merchant needs to see them: how granted, whether they work, why not. Never a
    token."""
    if services.credentials is None:
        return []
    held = {c.shop: c for c in services.credentials.store.list()}
    rows = [ShopRow(c.shop, c.grant_type, c.status, c.status_reason, c.access_expires_at) for c in held.values()]
    rows += [
        ShopRow(shop, "-", "no credentials", None, None) for shop in services.credentials.shops() if shop not in held
    ]
    return sorted(rows, key=lambda row: row.shop)


@dataclass(frozen=True)
class LateRow:
    record: LateRecord
    order: str
    late_since: datetime | None  # when the shipment crossed its store's first threshold
    transit: str  # how long it travelled, or has travelled so far


def late_rows(services: Services, orders: Orders, records: Iterable[LateRecord]) -> list[LateRow]:
    """Each record with its order's name and its shipment's clock as its store counts it: a parcel that has
    arrived shows its arrival, not days still counting."""
    now, rows = services.now(), []
    for record in records:
        watch = _watch(services.settings, record.shop)
        shipped, arrived, kind = record.shipped_at, record.delivered_at, record.day_kind
        late_since, transit = None, f"{record.elapsed_days} {kind} days when recorded"
        if watch is not None and shipped is not None:
            rule, calendar = watch.rule, watch.calendar
            late_since = calendar.crossing_time(shipped, rule.late_after, rule.day_kind)
            if arrived is not None:
                days = calendar.elapsed_days(shipped, arrived, rule.day_kind)
                transit = f"arrived {calendar.local_date(arrived)} after {days} {rule.day_kind} days"
            else:
                transit = f"{calendar.elapsed_days(shipped, now, rule.day_kind)} {rule.day_kind} days so far"
        elif arrived is not None:
            transit = "arrived"
        rows.append(LateRow(record, orders.name(record.shop, record.order_id), late_since, transit))
    return rows


def _watch(settings: Settings, shop: str) -> Watch | None:
    return watch_for(settings, shop) if settings.policy_for(shop) else None


def zone(settings: Settings, shop: str | None) -> tzinfo:
    """The shop's time zone, as its store policy names it; UTC for a shop without one."""
    watch = _watch(settings, shop) if shop else None
    return watch.calendar.zone if watch is not None else UTC


@dataclass(frozen=True)
class ReturnLine:
    title: str
    quantity: int | None
    reason: str | None
    decision: str | None
    resolution: str | None
    refund: str | None
    reasons: list[str]
    explanation: str | None


def return_lines(record: ReturnRecord, orders: Orders) -> list[ReturnLine]:
    """The request's lines with the policy's answer for each; the customer's own note is not shown."""
    asked = {line["line_item_id"]: line for line in (record.request or {}).get("lines", [])}
    judged = {line["line_item_id"]: line for line in (record.evaluation or {}).get("lines", [])}
    rows = []
    for line_item_id in dict.fromkeys([*asked, *judged]):
        request, answer = asked.get(line_item_id, {}), judged.get(line_item_id, {})
        refund = answer.get("refund_amount")
        rows.append(
            ReturnLine(
                title=orders.line_title(record.shop, record.order_id, line_item_id),
                quantity=request.get("quantity"),
                reason=request.get("reason"),
                decision=answer.get("decision"),
                resolution=answer.get("resolution"),
                refund=f"{refund} {answer.get('currency') or ''}".strip() if refund is not None else None,
                reasons=list(answer.get("reasons", [])),
                explanation=answer.get("explanation"),
            )
        )
    return rows


def plan_lines(shop: str, plans: Iterable[PlanRecord]) -> set[tuple[str, int, int]]:
    """(shop, order, line item) of every line the plans place, to name them."""
    keys = set()
    for plan in plans:
        parts = (plan.plan or {}).get("shipments", []) + [{"lines": (plan.plan or {}).get("backorders", [])}]
        keys |= {(shop, plan.order_id, line["line_item_id"]) for part in parts for line in part["lines"]}
    return keys


@dataclass(frozen=True)
class InspectedLine:
    title: str
    dispositions: str  # "restocked 1, missing 1"
    form: str  # "packaging: minor_damage (by Ana)"
    decision: str | None
    refund: str | None
    explanation: str | None


@dataclass(frozen=True)
class InspectionView:
    """The inspection stage of a return, as a person reads it: what came back and what the policy grants, the
    conflicts to settle, and the refund proposed, sent or refused, against what Shopify refunded."""

    outcome: str | None
    policy_version: str | None
    lines: list[InspectedLine]
    conflicts: list[dict[str, Any]]
    proposal: dict[str, Any] | None
    refund_status: str | None
    refund_error: str | None
    refunded: str | None
    flag: str | None
    asked: list[tuple[int, str]]  # (line item id, title) of the lines a person can inspect


def inspection(services: Services, record: ReturnRecord, orders: Orders) -> InspectionView:
    asked = [
        (line["line_item_id"], orders.line_title(record.shop, record.order_id, line["line_item_id"]))
        for line in (record.request or {}).get("lines", [])
    ]
    outcome = record.outcome or {}
    judged = {line["line_item_id"]: line for line in (outcome.get("evaluation") or {}).get("lines", [])}
    found = (record.inspection or {}).get("lines", {})
    lines = []
    for line_item_id, title in asked:
        seen, answer = found.get(str(line_item_id), {}), judged.get(line_item_id, {})
        units: dict[str, int] = {}
        for by_order in seen.get("dispositions", {}).values():
            for kind, count in by_order.items():
                units[kind] = units.get(kind, 0) + int(count)
        form = ", ".join(f"{fact}: {value}" for fact, value in seen.get("form", {}).items())
        refund = answer.get("refund_amount")
        lines.append(
            InspectedLine(
                title=title,
                dispositions=", ".join(f"{kind} {count}" for kind, count in units.items()) or "-",
                form=f"{form} (by {seen.get('by')})" if form else "-",
                decision=answer.get("decision"),
                refund=f"{refund} {answer.get('currency') or ''}".strip() if refund is not None else None,
                explanation=answer.get("explanation"),
            )
        )
    action = services.outbox.get(record.refund_action_id) if record.refund_action_id is not None else None
    row = next(iter(services.returns.ledger(record.shop, return_id=record.return_id)), None)
    return InspectionView(
        outcome=outcome.get("outcome"),
        policy_version=outcome.get("policy_version"),
        lines=lines,
        conflicts=list(outcome.get("conflicts", [])),
        proposal=record.proposal,
        refund_status=action.status if action else None,
        refund_error=action.last_error if action and action.status == "failed" else None,
        refunded=f"{row.refunded} {row.currency}" if row and row.refunds else None,
        flag=row.flag if row else None,
        asked=asked,
    )


def planned_orders(
    services: Services,
    shop: str | None,
    order_id: int | None,
    received: tuple[datetime | None, datetime | None],
    offset: int,
    limit: int,
) -> list[list[PlanRecord]]:
    """Each order's plans, newest order first: the one asked for, or the orders of the planning events received in
    the span, a page of them (the split store reads plans by order)."""
    found: dict[tuple[str, int], None] = {(shop, order_id): None} if shop and order_id is not None else {}
    topics = [None] if order_id is not None else sorted(PLANNING_TOPICS)
    for topic in topics:
        events = services.records.list_events(
            shop=shop, topic=topic, order_id=order_id, limit=(offset + limit) * 4, received=received
        )
        found.update(((event.shop, event.order_id), None) for event in events if event.order_id is not None)
    ordered = sorted(found, key=lambda key: key[1], reverse=True)[offset : offset + limit]
    return [plans for plans in (services.split.plans(s, o) for s, o in ordered) if plans]

"""What each page shows, gathered through the stores: orders named by their number, never by their customer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.adapters.late_store import OpenRecord
from worker.adapters.returns_store import AWAITING_REVIEW, ReturnRecord
from worker.adapters.split_store import PlanRecord
from worker.bootstrap import Services
from worker.services.split import PLANNING_TOPICS

COUNT_CAP = 1000
RECENT_ORDERS = 30
CASE = "escalated"  # the state of a late case; a flag's is "late"


@dataclass
class Orders:
    """Order names and line titles, read once per order per page; a shop's order we do not hold shows its id."""

    services: Services
    _seen: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)

    def _order(self, shop: str, order_id: int) -> dict[str, Any] | None:
        if (shop, order_id) not in self._seen:
            self._seen[shop, order_id] = self.services.records.get_order(shop, order_id)
        return self._seen[shop, order_id]

    def name(self, shop: str, order_id: int | None) -> str:
        if order_id is None:
            return "-"
        order = self._order(shop, order_id)
        return f"{order['name']} ({order_id})" if order and order.get("name") else str(order_id)

    def line_title(self, shop: str, order_id: int | None, line_item_id: int) -> str:
        order = self._order(shop, order_id) if order_id is not None else None
        for line in (order or {}).get("line_items", []):
            if line.get("id") == line_item_id:
                return str(line.get("name") or line.get("title") or line_item_id)
        return f"line {line_item_id}"


def capped(items: Iterable[Any]) -> str:
    count = len(list(items))
    return f"{COUNT_CAP}+" if count >= COUNT_CAP else str(count)


def counts(services: Services) -> list[tuple[str, str, str]]:
    """(what, how many, which page) for the dashboard."""
    late = services.late.open_records()
    queue = services.jobs.queue
    awaiting = services.returns.list_returns(status=AWAITING_REVIEW, limit=COUNT_CAP)
    return [
        ("Returns awaiting review", capped(awaiting), "views.returns"),
        ("Open late-delivery cases", str(sum(1 for r in late if r.state == CASE)), "views.late"),
        ("Open late-shipment flags", str(sum(1 for r in late if r.state != CASE)), "views.late"),
        ("Events logged", str(services.records.count("events")), "views.events"),
        ("Events failed", capped(services.records.list_events(status="failed", limit=COUNT_CAP)), "views.events"),
        ("Shopify actions waiting", capped(services.outbox.pending()), ""),
        ("Shopify actions refused by Shopify", capped(services.outbox.list(status="failed", limit=COUNT_CAP)), ""),
        ("Jobs queued", str(queue.count), "rq_dashboard.queues_overview"),
        ("Jobs failed", str(queue.failed_job_registry.count), "rq_dashboard.queues_overview"),
    ]


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
    return [
        ShopRow(c.shop, c.grant_type, c.status, c.status_reason, c.access_expires_at)
        for c in services.credentials.store.list()
    ]


@dataclass(frozen=True)
class LateRow:
    kind: str
    record: OpenRecord
    order: str
    tracking: str | None


def late_rows(services: Services, orders: Orders) -> list[LateRow]:
    """Open cases first (a person has to reship or refund), then open flags, oldest first within each."""
    rows = []
    for record in services.late.open_records():
        shipment = services.late.shipment(record.shop, record.fulfillment_id)
        rows.append(
            LateRow(
                kind="case" if record.state == CASE else "flag",
                record=record,
                order=orders.name(record.shop, record.order_id),
                tracking=shipment.tracking if shipment else None,
            )
        )
    return sorted(rows, key=lambda row: (row.kind != "case", row.record.since))


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


def planned_orders(services: Services, shop: str | None, order_id: int | None) -> list[list[PlanRecord]]:
    """Each order's plans, newest order first: the one asked for, or the orders of the latest planning events
    (the split store reads plans by order)."""
    found: dict[tuple[str, int], None] = {(shop, order_id): None} if shop and order_id is not None else {}
    topics = [None] if order_id is not None else sorted(PLANNING_TOPICS)
    for topic in topics:
        for event in services.records.list_events(shop=shop, topic=topic, order_id=order_id, limit=RECENT_ORDERS * 4):
            if event.order_id is not None:
                found.setdefault((event.shop, event.order_id), None)
    ordered = sorted(found, key=lambda key: key[1], reverse=True)[:RECENT_ORDERS]
    return [plans for plans in (services.split.plans(s, o) for s, o in ordered) if plans]

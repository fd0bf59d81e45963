"""One order on one page: everything the worker holds about it, read through the stores, the customer left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.adapters.outbox import Action
from worker.adapters.records import EventRecord
from worker.adapters.split_store import PlanRecord
from worker.bootstrap import Services
from worker.domain.ids import to_gid
from worker.domain.late import tracking_text
from worker.operator import reads

EVENTS_SHOWN = 200


@dataclass(frozen=True)
class Fulfillment:
    id: int
    status: str | None
    shipment_status: str | None
    tracking: str | None
    tracking_urls: list[str]
    shipped_at: Any
    delivered_at: Any
    lines: list[str]


@dataclass(frozen=True)
class OrderPage:
    shop: str
    order_id: int
    name: str
    held: dict[str, Any] | None  # the order as recorded, or None when only other records name it
    admin_url: str
    events: list[EventRecord]
    fulfillments: list[Fulfillment]
    late: list[reads.LateRow]
    returns: list[tuple[Any, list[reads.ReturnLine]]]
    refunds: list[dict[str, Any]]
    plans: list[PlanRecord]
    titles: dict[tuple[str, int, int], str]
    actions: list[Action]

    @property
    def empty(self) -> bool:
        return self.held is None and not (self.events or self.fulfillments or self.late or self.returns or self.plans)


def admin_url(shop: str, order_id: int) -> str:
    """The order in Shopify admin, where the store's handle is its myshopify subdomain."""
    return f"https://admin.shopify.com/store/{shop.removesuffix('.myshopify.com')}/orders/{order_id}"


def order_page(services: Services, shop: str, order_id: int) -> OrderPage:
    orders = reads.Orders(services)
    held = orders.held(shop, order_id)
    returns = services.returns.list_returns(shop, order_id=order_id, limit=reads.COUNT_CAP)
    plans = list(reversed(services.split.plans(shop, order_id)))
    action_ids = [r.action_id for r in returns if r.action_id is not None]
    action_ids += [i for p in plans for i in (p.apply_action_id, p.note_action_id) if i is not None]
    targets = [to_gid("Order", order_id), *(to_gid("Return", r.return_id) for r in returns)]
    refunds = services.returns.refunds(shop, order_id)
    return OrderPage(
        shop=shop,
        order_id=order_id,
        name=orders.name(shop, order_id),
        held=held,
        admin_url=admin_url(shop, order_id),
        events=services.records.list_events(shop=shop, order_id=order_id, limit=EVENTS_SHOWN),
        fulfillments=[
            _fulfillment(row, shop, order_id, orders) for row in services.records.order_fulfillments(shop, order_id)
        ],
        late=reads.late_rows(services, orders, services.late.records(order=(shop, order_id), limit=reads.COUNT_CAP)),
        returns=[(record, reads.return_lines(record, orders)) for record in returns],
        refunds=refunds,
        plans=plans,
        titles={key: orders.line_title(*key) for key in reads.plan_lines(shop, plans) | _refunded(shop, refunds)},
        actions=services.outbox.aimed_at(shop, targets, action_ids),
    )


def _refunded(shop: str, refunds: list[dict[str, Any]]) -> set[tuple[str, int, int]]:
    return {(shop, refund["order_id"], line["line_item_id"]) for refund in refunds for line in refund["lines"]}


def _fulfillment(row: dict[str, Any], shop: str, order_id: int, orders: reads.Orders) -> Fulfillment:
    return Fulfillment(
        id=row["id"],
        status=row["status"],
        shipment_status=row["shipment_status"],
        tracking=tracking_text(row["tracking_company"], row["tracking_numbers"]),
        tracking_urls=[u for u in row["tracking_urls"] or [] if isinstance(u, str) and u.startswith("https://")],
        shipped_at=row["shipped_at"],
        delivered_at=row["delivered_at"],
        lines=[
            f"{line.get('quantity')} × {orders.line_title(shop, order_id, line.get('id'))}"
            for line in row["line_items"] or []
        ],
    )

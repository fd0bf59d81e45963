"""The demo store of `shopworker serve --demo`: Little Twinkle Stars in the fake shop (its orders, stock, products and a
return request), and the webhooks Shopify would send it, each dated from now as the story needs: an order split
across two warehouses, two parcels long in transit, and a parcel delivered two days ago that the customer returns.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config.policies import load_policy
from tests.fakeshopify.state import FakeShop
from worker.cli.service import DEMO_STORE
from worker.domain.clock import BusinessCalendar

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks"
US, CHINA = 655441491, 655441492  # the shop's locations in config/locations.toml
NIGHT_LIGHT, MOON_PLUSH, BLANKET = 39072856, 39072857, 39072858  # variants of the fixture order's lines
# Stock as Shopify reports it once the fixture order committed its units at the US distributor: one night light on
# hand for two, no moon plush there but three in China, the blanket's last unit.
STOCK_AFTER_US_COMMIT = (
    (NIGHT_LIGHT, US, -1),
    (NIGHT_LIGHT, CHINA, 0),
    (MOON_PLUSH, US, -1),
    (MOON_PLUSH, CHINA, 3),
    (BLANKET, US, 0),
    (BLANKET, CHINA, 0),
)
FLAGGED_AFTER, ESCALATED_AFTER = 25, 35  # business days in transit: past the store's 21, and past its 30


@dataclass(frozen=True)
class Delivery:
    topic: str
    name: str  # what the terminal calls it
    body: dict[str, Any]


@dataclass
class Scenario:
    """The shop as Shopify holds it (`seed` puts it in the fake), and the webhooks it sends, in order."""

    now: datetime
    orders: list[tuple[dict[str, Any], int]] = field(default_factory=list)  # (order, location it was routed to)
    deliveries: list[Delivery] = field(default_factory=list)
    return_lines: list[tuple[int, int, str]] = field(default_factory=list)
    return_at: datetime | None = None

    def add(self, topic: str, name: str, body: dict[str, Any]) -> None:
        self.deliveries.append(Delivery(topic, name, body))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _fixture(path: str) -> dict[str, Any]:
    return json.loads((WEBHOOKS / path).read_text())


def _order(number: int, created: datetime, fulfilled: bool) -> dict[str, Any]:
    """The fixture order (two night lights, a moon plush, a glow blanket and a gift card, to France) as order
    `number`, placed at `created`; its line items renumbered with it."""
    order = copy.deepcopy(_fixture("orders/create/two_warehouses_to_france.json"))
    offset = (number - 5001) * 10
    order.update(
        id=number,
        admin_graphql_api_id=f"gid://shopify/Order/{number}",
        name=f"#{number}",
        number=number - 1000,
        order_number=number,
        created_at=_iso(created),
        processed_at=_iso(created),
        updated_at=_iso(created + timedelta(minutes=1)),
        financial_status="paid",
        fulfillment_status="fulfilled" if fulfilled else None,
    )
    for item in order["line_items"]:
        item["id"] += offset
        item["admin_graphql_api_id"] = f"gid://shopify/LineItem/{item['id']}"
        if fulfilled and item["requires_shipping"]:
            item.update(fulfillment_status="fulfilled", fulfillable_quantity=0)
    return order


def _fulfillment(order: dict[str, Any], fulfillment_id: int, shipped: datetime) -> dict[str, Any]:
    """Every shippable line of the order in one parcel from the US distributor, shipped at `shipped`, a day later
    in transit."""
    fulfillment = copy.deepcopy(_fixture("fulfillments/create/us_warehouse.json"))
    template = fulfillment["line_items"][0]
    fulfillment.update(
        id=fulfillment_id,
        admin_graphql_api_id=f"gid://shopify/Fulfillment/{fulfillment_id}",
        order_id=order["id"],
        name=f"{order['name']}.1",
        created_at=_iso(shipped),
        updated_at=_iso(shipped + timedelta(days=1)),
        shipment_status="in_transit",
        line_items=[
            {**template, "id": item["id"], "quantity": item["quantity"], "title": item["title"], "name": item["name"]}
            for item in order["line_items"]
            if item["requires_shipping"]
        ],
    )
    return fulfillment


def _shipped_business_days_ago(now: datetime, days: int) -> datetime:
    """Mid-afternoon, shop time, on the last day from which more than `days - 1` business days have elapsed by now
    on the store's own calendar: `days` business days in transit today."""
    policy = load_policy(DEMO_STORE)
    calendar = BusinessCalendar(policy.country, policy.subdivision, policy.timezone)
    return calendar.overdue_cutoff(now, days - 1, "business") - timedelta(hours=9)


def scenario(now: datetime) -> Scenario:
    """The demo store's orders and webhooks, each dated from `now` as the story needs."""
    story = Scenario(now)

    # A new order whose stock sits in two warehouses: planned and applied in Shopify as it arrives.
    split = _order(5001, now - timedelta(minutes=30), fulfilled=False)
    split["financial_status"] = "pending"
    story.orders.append((split, US))
    story.add("orders/create", "order #5001 placed", split)
    paid = {**split, "financial_status": "paid", "updated_at": _iso(now - timedelta(minutes=25))}
    story.add("orders/paid", "order #5001 paid", paid)

    # Two parcels still in transit: one past the store's late threshold, one past its escalation threshold.
    for number, days in ((5003, FLAGGED_AFTER), (5004, ESCALATED_AFTER)):
        shipped = _shipped_business_days_ago(now, days)
        order = _order(number, shipped - timedelta(days=1), fulfilled=True)
        story.orders.append((order, US))
        story.add("orders/updated", f"order #{number} fulfilled", order)
        story.add(
            "fulfillments/create",
            f"order #{number} shipped {days} business days ago",
            _fulfillment(order, number * 10 + 1, shipped),
        )

    # A parcel delivered two days ago, and the customer asking to return two of its items an hour ago.
    returned = _order(5005, now - timedelta(days=9), fulfilled=True)
    story.orders.append((returned, US))
    shipped, delivered = now - timedelta(days=8), now - timedelta(days=2)
    parcel = _fulfillment(returned, 50051, shipped)
    story.add("orders/updated", "order #5005 fulfilled", returned)
    story.add("fulfillments/create", "order #5005 shipped", parcel)
    story.add(
        "fulfillments/update",
        "order #5005 delivered 2 days ago",
        {**parcel, "shipment_status": "delivered", "updated_at": _iso(delivered)},
    )
    night_light, moon_plush = (item["id"] for item in returned["line_items"][:2])
    story.return_lines = [(night_light, 1, "unwanted"), (moon_plush, 1, "size_too_small")]
    story.return_at = now - timedelta(hours=1)
    return story


def seed(story: Scenario, state: FakeShop) -> dict[str, Any]:
    """The shop in the fake Admin API: the orders, stock that makes the new order split, the products' facts (the
    moon plush on sale), and the return request. Returns the return's returns/request webhook: it carries the id
    the shop gave the return."""
    for order, location in story.orders:
        state.add_order(order, location_id=location)
    for variant, location, available in STOCK_AFTER_US_COMMIT:
        state.set_inventory(variant, location, available)
    state.add_product(9101, "Night lights")
    state.add_product(9102, "Plush toys", ["sale"])
    state.add_product(9103, "Blankets")
    state.add_product(9104, "Gift cards", ["gift-card"])
    return_gid = state.add_return(5005, story.return_lines, created_at=_iso(story.return_at or story.now))
    return_id = int(return_gid.rsplit("/", 1)[1])
    return {
        "id": return_id,
        "admin_graphql_api_id": return_gid,
        "status": "requested",
        "name": "#5005-R1",
        "order": {"id": 5005, "admin_graphql_api_id": "gid://shopify/Order/5005"},
        "total_return_line_items": len(story.return_lines),
        "return_line_items": [],
        "return_shipping_fees": [],
        "exchange_line_items": [],
        "total_exchange_line_items": 0,
    }

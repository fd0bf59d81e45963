"""What the fake shop knows: orders in Shopify's REST shape, returns, products, fulfillment orders, stock.

Tests seed it, the fake Admin API reads and changes it, and tests then look at it (or at `mutations`, the log
of every mutation received) to see what the worker did to the shop.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.fakeshopify.costs import CostBucket
from webhooks.verify import sign
from worker.adapters.shopify.shapes import RETURN_REASON_HANDLES

FAULTS = ("429", "throttled", "500", "lost")


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def gid(kind: str, legacy_id: int) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def legacy(gid_text: str) -> int:
    return int(str(gid_text).rsplit("/", 1)[-1])


_HANDLES = {word: handle for handle, word in RETURN_REASON_HANDLES.items()}


def _reason_handle(reason: str) -> str:
    return _HANDLES.get(reason.lower(), reason)


@dataclass
class FakeFulfillmentOrderLine:
    id: int
    line_item_id: int
    variant_id: int | None
    remaining_quantity: int


@dataclass
class FakeFulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    lines: list[FakeFulfillmentOrderLine]
    status: str = "OPEN"  # OPEN, IN_PROGRESS (progress reported), ON_HOLD, CLOSED, ...
    holds: list[dict[str, Any]] = field(default_factory=list)
    request_status: str = "UNSUBMITTED"  # a fulfillment service's request: SUBMITTED, ACCEPTED, ...


@dataclass
class FakeReturnLine:
    id: int
    line_item_id: int
    quantity: int
    reason: str  # a handle into Shopify's return reasons: too-small, damaged-or-defective, ...
    customer_note: str | None = None
    processed_quantity: int = 0  # units returnProcess has processed


@dataclass
class FakeExchangeLine:
    """An item the customer chose in exchange; returnProcess processing it sends it out."""

    id: int
    variant_id: int
    quantity: int
    processed_quantity: int = 0


@dataclass
class FakeReturn:
    id: int
    order_id: int
    lines: list[FakeReturnLine]
    created_at: str
    status: str = "REQUESTED"
    decline: dict[str, Any] | None = None
    reverse_fulfillment_orders: list[int] = field(default_factory=list)
    exchange_lines: list[FakeExchangeLine] = field(default_factory=list)


@dataclass
class FakeReverseFulfillmentOrderLine:
    id: int
    return_line: FakeReturnLine
    dispositions: list[dict[str, Any]] = field(default_factory=list)  # {id, type (RESTOCKED, ...), quantity}


@dataclass
class FakeReverseFulfillmentOrder:
    """Created when a return is approved: the work of taking its items back."""

    id: int
    return_id: int
    order_id: int
    lines: list[FakeReverseFulfillmentOrderLine]
    status: str = "OPEN"


@dataclass(frozen=True)
class WebhookSink:
    """Where the fake shop delivers its webhooks, each signed with the app's secret as Shopify signs them:
    `post(body, headers)` sends one to the receiver (over HTTP, or through a test client)."""

    post: Callable[[bytes, dict[str, str]], Any]
    secret: str
    shop_domain: str

    def deliver(self, topic: str, payload: dict[str, Any], event_id: str) -> None:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-Hmac-Sha256": sign(body, self.secret),
            "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": event_id,
        }
        self.post(body, headers)


@dataclass
class AimedFault:
    """Faults for one operation only, after `skip` of its requests have been answered normally."""

    operation: str
    fault: str
    count: int
    skip: int


@dataclass
class FakeShop:
    """A shop's state; every method is safe to call while the fake server runs in another thread."""

    access_token: str = "shpat_fake_token"  # a static token (an admin-created app's); empty: none works
    scopes: tuple[str, ...] = ()  # what the static token was granted
    granted_now: tuple[str, ...] = ()  # the scopes of the token the request being answered came with
    unauthorized: int = 0  # requests answered 401
    webhook_subscriptions: list[dict[str, Any]] = field(default_factory=list)  # created through the API
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    returns: dict[int, FakeReturn] = field(default_factory=dict)
    reverse_fulfillment_orders: dict[int, FakeReverseFulfillmentOrder] = field(default_factory=dict)
    refunded: dict[str, Decimal] = field(default_factory=dict)  # order transaction gid -> amount refunded from it
    webhooks: WebhookSink | None = None  # where webhooks go; none: they are not sent
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, FakeFulfillmentOrder] = field(default_factory=dict)
    inventory: dict[tuple[int, int], int] = field(default_factory=dict)  # (variant id, location id) -> available
    stocked: set[tuple[int, int]] = field(default_factory=set)  # (variant id, location id) with no level seeded
    tags: dict[str, list[str]] = field(default_factory=dict)  # gid -> tags, in the order they were added
    webhook_topics: list[str] = field(default_factory=list)
    mutations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # operation names of every request, faults included
    answered: list[str] = field(default_factory=list)  # operation names of the requests answered with data
    retry_after_seconds: int = 1
    answer_seconds: float = 0.0  # a slow shop: each request is held this long before it is answered
    spans: list[tuple[str, float, float]] = field(default_factory=list)  # (operation, start, end), monotonic
    bucket: CostBucket = field(default_factory=CostBucket)  # this app's query cost bucket on this shop
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _faults: deque[str] = field(default_factory=deque, repr=False)
    _aimed: list[AimedFault] = field(default_factory=list, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9_000_000_000), repr=False)

    def new_id(self) -> int:
        return next(self._ids)

    @contextmanager
    def answering(self, operation: str) -> Iterator[None]:
        """Holds the request `answer_seconds` (outside the lock, so requests overlap as they would in Shopify)
        and records when it was being answered."""
        start = time.monotonic()
        try:
            time.sleep(self.answer_seconds)
            yield
        finally:
            with self.lock:
                self.spans.append((operation, start, time.monotonic()))

    def add_order(self, order: dict[str, Any], location_id: int) -> str:
        """Seeds a REST-shaped order (a webhook payload will do) with one open fulfillment order at `location_id`."""
        with self.lock:
            order = copy.deepcopy(order)
            order_id = int(order["id"])
            self.orders[order_id] = order
            self.tags[gid("Order", order_id)] = [
                tag.strip() for tag in (order.get("tags") or "").split(",") if tag.strip()
            ]
            lines = [
                FakeFulfillmentOrderLine(
                    id=self.new_id(),
                    line_item_id=int(item["id"]),
                    variant_id=item.get("variant_id"),
                    remaining_quantity=int(item.get("fulfillable_quantity", item["quantity"])),
                )
                for item in order["line_items"]
                if item.get("requires_shipping", True)
            ]
            if lines:
                # Shopify assigns an order to a location that stocks its items
                self.stocked.update((line.variant_id, location_id) for line in lines if line.variant_id)
                fulfillment_order = FakeFulfillmentOrder(self.new_id(), order_id, location_id, lines)
                self.fulfillment_orders[fulfillment_order.id] = fulfillment_order
            return gid("Order", order_id)

    def add_return(
        self,
        order_id: int,
        lines: Iterable[tuple[int, int, str] | tuple[int, int, str, str | None]],
        created_at: str = "2026-01-05T10:00:00Z",
        status: str = "REQUESTED",
        exchanges: Iterable[tuple[int, int]] = (),
    ) -> str:
        """Seeds a return of (line item id, quantity, reason[, customer note]) lines, and the (variant id,
        quantity) items the customer chose in exchange. A reason is a policy's word for it (size_too_small, any
        case) or a handle of Shopify's return reasons (too-small, too-tight)."""
        with self.lock:
            return_lines = [
                FakeReturnLine(
                    self.new_id(), line[0], line[1], _reason_handle(line[2]), line[3] if len(line) > 3 else None
                )
                for line in lines
            ]
            fake_return = FakeReturn(self.new_id(), order_id, return_lines, created_at, status)
            fake_return.exchange_lines = [FakeExchangeLine(self.new_id(), *item) for item in exchanges]
            self.returns[fake_return.id] = fake_return
            return gid("Return", fake_return.id)

    def open_return(self, fake_return: FakeReturn) -> None:
        """The return is open (approved): Shopify makes a reverse fulfillment order for its items to come back."""
        with self.lock:
            fake_return.status = "OPEN"
            lines = [FakeReverseFulfillmentOrderLine(self.new_id(), line) for line in fake_return.lines]
            rfo = FakeReverseFulfillmentOrder(self.new_id(), fake_return.id, fake_return.order_id, lines)
            self.reverse_fulfillment_orders[rfo.id] = rfo
            fake_return.reverse_fulfillment_orders.append(rfo.id)

    def approve(self, return_gid: str) -> None:
        """The merchant approves the return in Shopify's admin, and Shopify tells the app (returns/approve)."""
        with self.lock:
            fake_return = self.returns[legacy(return_gid)]
            self.open_return(fake_return)
            self.send_webhook(
                "returns/approve",
                {
                    "id": fake_return.id,
                    "admin_graphql_api_id": gid("Return", fake_return.id),
                    "status": "open",
                    "order": {"id": fake_return.order_id, "admin_graphql_api_id": gid("Order", fake_return.order_id)},
                },
            )

    def dispose(self, return_gid: str, line_item_id: int, kind: str, quantity: int | None = None) -> None:
        """The parcel is back: the merchant disposes the line's units (RESTOCKED, NOT_RESTOCKED,
        PROCESSING_REQUIRED, MISSING) and Shopify sends reverse_fulfillment_orders/dispose."""
        with self.lock:
            fake_return = self.returns[legacy(return_gid)]
            for rfo_id in fake_return.reverse_fulfillment_orders:
                rfo = self.reverse_fulfillment_orders[rfo_id]
                line = next((line for line in rfo.lines if line.return_line.line_item_id == line_item_id), None)
                if line is not None:
                    break
            else:
                raise LookupError(f"return {fake_return.id} has no open line for line item {line_item_id}")
            units = quantity or line.return_line.quantity
            disposition = {"id": self.new_id(), "type": kind.upper(), "quantity": units}
            line.dispositions.append(disposition)
            self.send_webhook(
                "reverse_fulfillment_orders/dispose",
                {
                    "id": rfo.id,
                    "admin_graphql_api_id": gid("ReverseFulfillmentOrder", rfo.id),
                    "total_dispositions": sum(len(each.dispositions) for each in rfo.lines),
                    "dispositions": [
                        {
                            "reverse_fulfillment_order_line_item": {
                                "id": line.id,
                                "admin_graphql_api_id": gid("ReverseFulfillmentOrderLineItem", line.id),
                            },
                            "reverse_delivery_line_item": None,
                            "type": kind.lower(),
                            "location": None,
                            "quantity": units,
                        }
                    ],
                },
            )

    def transactions_of(self, order_id: int) -> list[dict[str, Any]]:
        """The order's payments in REST's shape: its own `transactions`, else one sale of its total price."""
        with self.lock:
            order = self.orders[order_id]
            found = order.get("transactions") or [
                {
                    "id": order_id * 10 + 1,
                    "kind": "sale",
                    "status": "success",
                    "gateway": "shopify_payments",
                    "amount": order.get("total_price", "0.00"),
                    "currency": order.get("currency", "USD"),
                }
            ]
            return copy.deepcopy(found)

    def send_webhook(self, topic: str, payload: dict[str, Any]) -> None:
        if self.webhooks is not None:
            self.webhooks.deliver(topic, payload, f"fake-{topic.replace('/', '-')}-{self.new_id()}")

    def add_product(self, product_id: int, product_type: str, tags: Iterable[str] = ()) -> None:
        with self.lock:
            self.products[product_id] = {"product_type": product_type}
            self.tags[gid("Product", product_id)] = list(tags)

    def set_inventory(self, variant_id: int, location_id: int, available: int) -> None:
        with self.lock:
            self.inventory[(variant_id, location_id)] = available

    def inject(self, fault: str, count: int = 1, operation: str | None = None, skip: int = 0) -> None:
        """The next `count` requests answer with `fault`: "429", "throttled" (HTTP 200), "500", or "lost" (the
        request is carried out, then answered 502, as when Shopify's answer is lost on the way back). With an
        `operation` (e.g. "OrdersUpdatedSince"), only that operation's requests, once `skip` of them went through."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        with self.lock:
            if operation is None:
                self._faults.extend([fault] * count)
            else:
                self._aimed.append(AimedFault(operation, fault, count, skip))

    def next_fault(self, operation: str | None = None) -> str | None:
        with self.lock:
            if self._faults:
                return self._faults.popleft()
            aimed = next((aimed for aimed in self._aimed if aimed.operation == operation), None)
            if aimed is None:
                return None
            if aimed.skip:
                aimed.skip -= 1
                return None
            aimed.count -= 1
            if not aimed.count:
                self._aimed.remove(aimed)
            return aimed.fault

    def add_fulfillment(self, order_id: int, fulfillment: dict[str, Any]) -> None:
        """Records a REST-shaped fulfillment (a webhook payload will do) on its order, as Shopify does: the
        order's updated_at moves with it."""
        with self.lock:
            order = self.orders[order_id]
            fulfillment = {**copy.deepcopy(fulfillment), "order_id": order_id}
            kept = [f for f in order.get("fulfillments", []) if int(f["id"]) != int(fulfillment["id"])]
            order["fulfillments"] = [*kept, fulfillment]
            order["updated_at"] = max(order["updated_at"], fulfillment["updated_at"], key=instant)

    def fulfillment(self, fulfillment_id: int) -> dict[str, Any] | None:
        with self.lock:
            for order in self.orders.values():
                for position, fulfillment in enumerate(order.get("fulfillments", []), start=1):
                    if int(fulfillment["id"]) == fulfillment_id:
                        # Shopify names an order's fulfillments after it, in the order they were made: #1001.1
                        name = fulfillment.get("name") or f"{order['name']}.{position}"
                        return {**fulfillment, "name": name, "order_id": int(order["id"])}
            return None

    def pass_time(self, seconds: float) -> None:
        """Lets `seconds` go by for the cost bucket, as a client's sleep would; pass it as the client's `sleep`."""
        self.bucket.pass_time(seconds)

    def stocks(self, variant_id: int, location_id: int) -> bool:
        """Whether the location stocks the variant: it has an inventory level there, whatever its quantity."""
        with self.lock:
            return (variant_id, location_id) in self.inventory or (variant_id, location_id) in self.stocked

    def report_progress(self, fulfillment_order_id: int) -> None:
        """The merchant or a fulfillment service reports progress (fulfillmentOrderReportProgress): IN_PROGRESS."""
        with self.lock:
            self.fulfillment_orders[fulfillment_order_id].status = "IN_PROGRESS"

    def submit_to_fulfillment_service(self, fulfillment_order_id: int, accepted: bool = True) -> None:
        """A fulfillment service was asked to fulfill it (and accepted): it can no longer be moved, and a split
        replaces it rather than splitting it in place."""
        with self.lock:
            self.fulfillment_orders[fulfillment_order_id].request_status = "ACCEPTED" if accepted else "SUBMITTED"

    def fulfillment_orders_of(self, order_id: int) -> list[FakeFulfillmentOrder]:
        with self.lock:
            return sorted(
                (fo for fo in self.fulfillment_orders.values() if fo.order_id == order_id), key=lambda fo: fo.id
            )

    def mutations_named(self, operation: str) -> list[dict[str, Any]]:
        with self.lock:
            return [variables for name, variables in self.mutations if name == operation]

"""The Shopify Admin API client the worker uses: typed operations over `GraphQLTransport`.

Mutations are made safe to repeat where Shopify allows it, because an RQ job may run twice:
- approve/decline: a refusal is accepted when the return is already in the state asked for;
- move: a refusal is accepted when the fulfillment order is already at the destination;
- hold: every hold carries a handle, and Shopify refuses a second hold with the same handle;
- tags and notes are idempotent in Shopify itself.
A split is not: run twice, it splits twice. The caller records that it split before trying again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests

from worker.adapters.shopify import documents, shapes
from worker.adapters.shopify.port import (
    OrderSummary,
    ProductFacts,
    RefundToProcess,
    ReturnRequest,
    ReverseFulfillmentOrder,
    topic_enum_name,
)
from worker.adapters.shopify.transport import (
    DEFAULT_MAX_ATTEMPTS,
    GraphQLTransport,
    ShopifyError,
    ShopifyNotFound,
    ShopifyUserError,
    TokenSource,
    operation_name,
)
from worker.domain.ids import legacy_id, to_gid
from worker.domain.split.execution import FulfillmentOrder

PRODUCTS_PER_QUERY = 100
VARIANTS_PER_QUERY = 10
HOLD_HANDLE_PREFIX = "shopworker"
DECLINE_NOTE_MAX_CHARS = 500  # ReturnDeclineRequestInput.declineNote's documented maximum


class ShopifyClient:
    """One shop's Admin API, seen as the operations of `ShopifyPort`."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str | TokenSource,
        api_version: str,
        session: requests.Session | None = None,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        self._transport = GraphQLTransport(
            shop_domain, access_token, api_version, session, base_url, sleep, max_attempts
        )
        self.shop_domain = self._transport.shop_domain
        self.api_version = self._transport.api_version

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._transport.execute(query, variables)

    # Reads

    def fetch_return(self, return_gid: str) -> ReturnRequest:
        gid = to_gid("Return", return_gid)
        pages = [
            page["return"] for page in self._pages(documents.FETCH_RETURN, {"id": gid}, ("return", "returnLineItems"))
        ]
        lines = [line for page in pages for line in page["returnLineItems"]["nodes"]]
        return shapes.return_request(pages[0], lines)

    def fetch_order(self, order_gid: str) -> dict[str, Any]:
        gid = to_gid("Order", order_gid)
        node = self._required(self.graphql(documents.FETCH_ORDER, {"id": gid}), "order", gid)
        line_items = list(node["lineItems"]["nodes"])
        page_info = node["lineItems"]["pageInfo"]
        if page_info["hasNextPage"]:
            variables = {"id": gid, "after": page_info["endCursor"]}
            for page in self._pages(documents.FETCH_ORDER_LINE_ITEMS, variables, ("order", "lineItems")):
                line_items.extend(page["order"]["lineItems"]["nodes"])
        return shapes.rest_order(node, line_items)

    def fetch_product_facts(self, product_ids: Iterable[int | str]) -> dict[int, ProductFacts]:
        gids = sorted({to_gid("Product", product_id) for product_id in product_ids})
        facts: dict[int, ProductFacts] = {}
        for chunk in _chunks(gids, PRODUCTS_PER_QUERY):
            facts.update(shapes.product_facts(self.graphql(documents.FETCH_PRODUCT_FACTS, {"ids": chunk})["nodes"]))
        return facts

    def fetch_fulfillment_orders(self, order_gid: str) -> list[FulfillmentOrder]:
        gid = to_gid("Order", order_gid)
        pages = self._pages(documents.FETCH_FULFILLMENT_ORDERS, {"id": gid}, ("order", "fulfillmentOrders"))
        return [
            shapes.fulfillment_order(node) for page in pages for node in page["order"]["fulfillmentOrders"]["nodes"]
        ]

    def fetch_inventory(
        self, variant_ids: Iterable[int | str], location_ids: Iterable[int | str] | None = None
    ) -> dict[int, dict[int, int]]:
        """Available units per variant per location; locations outside `location_ids` are left out."""
        wanted = None if location_ids is None else {legacy_id(str(location)) for location in location_ids}
        gids = sorted({to_gid("ProductVariant", variant_id) for variant_id in variant_ids})
        levels: dict[int, dict[int, int]] = {}
        for chunk in _chunks(gids, VARIANTS_PER_QUERY):
            levels.update(shapes.inventory(self.graphql(documents.FETCH_INVENTORY, {"ids": chunk})["nodes"], wanted))
        return levels

    def fetch_webhook_subscriptions(self) -> list[str]:
        """Subscribed topics as Shopify's enum names, e.g. ORDERS_CREATE for orders/create."""
        return [topic for topic, _uri in self.webhook_subscriptions()]

    def webhook_subscriptions(self) -> list[tuple[str, str | None]]:
        """(topic enum name, where it is delivered) of each shop-specific subscription."""
        pages = self._pages(documents.FETCH_WEBHOOK_SUBSCRIPTIONS, {}, ("webhookSubscriptions",))
        return [(node["topic"], node.get("uri")) for page in pages for node in page["webhookSubscriptions"]["nodes"]]

    def granted_scopes(self) -> list[str]:
        """The access scopes the shop granted this app."""
        installation = self._required(self.graphql(documents.CURRENT_APP_SCOPES), "currentAppInstallation", "app")
        return [scope["handle"] for scope in installation["accessScopes"]]

    def orders_updated_since(self, since: datetime, after: str | None = None) -> tuple[list[OrderSummary], str | None]:
        """One page of the orders changed after `since`, oldest change first, and the cursor of the next page
        (None on the last). A cursor belongs to its `since`: resume with both."""
        data = self.graphql(documents.ORDERS_UPDATED_SINCE, {"query": _updated_after(since), "after": after})
        connection = self._required(data, "orders", "page")
        page_info = connection["pageInfo"]
        summaries = [shapes.order_summary(node) for node in connection["nodes"]]
        return summaries, page_info["endCursor"] if page_info["hasNextPage"] else None

    def count_orders_updated_since(self, since: datetime) -> int:
        data = self.graphql(documents.COUNT_ORDERS_UPDATED_SINCE, {"query": _updated_after(since)})
        return int((data.get("ordersCount") or {}).get("count") or 0)

    def fetch_fulfillment(self, fulfillment_gid: str) -> dict[str, Any]:
        """The fulfillment in the shape of the fulfillments/update webhook."""
        gid = to_gid("Fulfillment", fulfillment_gid)
        pages = [
            page["fulfillment"]
            for page in self._pages(documents.FETCH_FULFILLMENT, {"id": gid}, ("fulfillment", "fulfillmentLineItems"))
        ]
        lines = [line for page in pages for line in page["fulfillmentLineItems"]["nodes"]]
        return shapes.rest_fulfillment(pages[0], lines)

    def fetch_reverse_fulfillment_order(self, gid: str) -> ReverseFulfillmentOrder:
        """Its lines with the dispositions Shopify holds, and the return it belongs to."""
        rfo_gid = to_gid("ReverseFulfillmentOrder", gid)
        data = self.graphql(documents.FETCH_REVERSE_FULFILLMENT_ORDER, {"id": rfo_gid})
        return shapes.reverse_fulfillment_order(self._required(data, "reverseFulfillmentOrder", rfo_gid))

    # Mutations

    def process_return(self, return_gid: str, refund: RefundToProcess) -> dict[str, Any]:
        """Processes the return's units and refunds the money: to the order's payments (its successful sales and
        captures, in turn), as store credit, with the shipping share named; for an exchange, the exchange items
        the customer chose are processed too. Safe to repeat: units Shopify has processed already are not asked
        for again, and a return with nothing left to process is done."""
        gid = to_gid("Return", return_gid)
        node = self._required(self.graphql(documents.RETURN_FOR_PROCESSING, {"id": gid}), "return", gid)
        lines = _process_lines(node["returnLineItems"]["nodes"], refund.lines)
        exchange = _exchange_lines(node["exchangeLineItems"]["nodes"]) if refund.exchange else []
        if not lines and not exchange:
            return {"return": gid, "status": node["status"], "already_processed": True}
        process: dict[str, Any] = {"returnId": gid, "returnLineItems": lines, "notifyCustomer": True}
        if exchange:
            process["exchangeLineItems"] = exchange
        if refund.note:
            process["note"] = refund.note
        transfer = _refund_transfer(node["order"]["transactions"], refund)
        if transfer:
            process["financialTransfer"] = {"issueRefund": transfer}
        if Decimal(refund.shipping) > 0:
            process["refundShipping"] = {"shippingRefundAmount": _money_input(refund.shipping, refund.currency)}
        try:
            payload = self._mutate(documents.PROCESS_RETURN, {"input": process}, "returnProcess")
        except ShopifyUserError:
            again = self._required(self.graphql(documents.RETURN_FOR_PROCESSING, {"id": gid}), "return", gid)
            exchange_left = refund.exchange and _exchange_lines(again["exchangeLineItems"]["nodes"])
            if _process_lines(again["returnLineItems"]["nodes"], refund.lines) or exchange_left:
                raise
            return {"return": gid, "status": again["status"], "already_processed": True}
        processed = payload.get("return") or {}
        return {"return": gid, "status": processed.get("status"), "already_processed": False}

    def approve_return(self, return_gid: str) -> None:
        gid = to_gid("Return", return_gid)
        self._mutate_or_confirm_status(
            documents.APPROVE_RETURN, {"input": {"id": gid}}, "returnApproveRequest", gid, "OPEN"
        )

    def decline_return(self, return_gid: str, reason: str, note: str | None = None) -> None:
        """`reason` is a ReturnDeclineReason (final_sale, return_period_ended, other), any case."""
        gid = to_gid("Return", return_gid)
        decline: dict[str, Any] = {"id": gid, "declineReason": reason.upper()}
        if note:
            decline["declineNote"] = note[:DECLINE_NOTE_MAX_CHARS]
        self._mutate_or_confirm_status(
            documents.DECLINE_RETURN, {"input": decline}, "returnDeclineRequest", gid, "DECLINED"
        )

    def move_fulfillment_order(
        self, fulfillment_order_gid: str, location_id: int | str, lines: Mapping[str, int] | None = None
    ) -> str:
        """Moves the lines (all of them if none given) to the location; returns the moved order's gid."""
        gid = to_gid("FulfillmentOrder", fulfillment_order_gid)
        location = to_gid("Location", location_id)
        variables = {"id": gid, "newLocationId": location, "lines": _line_inputs(lines) if lines else None}
        try:
            payload = self._mutate(documents.MOVE_FULFILLMENT_ORDER, variables, "fulfillmentOrderMove")
        except ShopifyUserError:
            if self._assigned_location(gid) == location:
                return gid
            raise
        return str(payload["movedFulfillmentOrder"]["id"])

    def split_fulfillment_order(self, fulfillment_order_gid: str, lines: Mapping[str, int]) -> str:
        """Splits the lines off into a new fulfillment order and returns its gid. Not idempotent."""
        gid = to_gid("FulfillmentOrder", fulfillment_order_gid)
        splits = [{"fulfillmentOrderId": gid, "fulfillmentOrderLineItems": _line_inputs(lines)}]
        payload = self._mutate(documents.SPLIT_FULFILLMENT_ORDER, {"splits": splits}, "fulfillmentOrderSplit")
        results = payload.get("fulfillmentOrderSplits") or []
        if not results:
            raise ShopifyError(f"Shopify fulfillmentOrderSplit returned no split for {gid}")
        result = results[0]
        new_order = result.get("remainingFulfillmentOrder") or result.get("replacementFulfillmentOrder")
        return str(new_order["id"])

    def hold_fulfillment_order(
        self,
        fulfillment_order_gid: str,
        reason: str = "INVENTORY_OUT_OF_STOCK",
        note: str | None = None,
        lines: Mapping[str, int] | None = None,
        handle: str | None = None,
    ) -> str | None:
        """Holds the fulfillment order (or only `lines`, split off by Shopify).

        Returns the gid of the fulfillment order left unheld when only some lines were held. A hold is
        named by `handle` (by default one per reason), so a repeat is recognised and accepted as done.
        """
        gid = to_gid("FulfillmentOrder", fulfillment_order_gid)
        hold: dict[str, Any] = {
            "reason": reason.upper(),
            "handle": handle or f"{HOLD_HANDLE_PREFIX}-{reason.lower()}",
        }
        if note:
            hold["reasonNotes"] = note
        if lines:
            hold["fulfillmentOrderLineItems"] = _line_inputs(lines)
        try:
            payload = self._mutate(documents.HOLD_FULFILLMENT_ORDER, {"id": gid, "hold": hold}, "fulfillmentOrderHold")
        except ShopifyUserError as refusal:
            if "DUPLICATE_FULFILLMENT_HOLD_HANDLE" in refusal.codes:
                return None
            raise
        remaining = payload.get("remainingFulfillmentOrder")
        return str(remaining["id"]) if remaining else None

    def create_webhook_subscription(self, topic: str, uri: str) -> str:
        """Subscribes `uri` to `topic` (orders/create or ORDERS_CREATE); returns the subscription's gid."""
        variables = {"topic": topic_enum_name(topic), "webhookSubscription": {"uri": uri, "format": "JSON"}}
        payload = self._mutate(documents.CREATE_WEBHOOK_SUBSCRIPTION, variables, "webhookSubscriptionCreate")
        return str(payload["webhookSubscription"]["id"])

    def add_tags(self, gid: str, tags: Iterable[str]) -> None:
        self._mutate(documents.ADD_TAGS, {"id": gid, "tags": sorted(set(tags))}, "tagsAdd")

    def set_order_note(self, order_gid: str, note: str) -> None:
        order = {"id": to_gid("Order", order_gid), "note": note}
        self._mutate(documents.SET_ORDER_NOTE, {"input": order}, "orderUpdate")

    # Helpers

    def _mutate(self, document: str, variables: Mapping[str, Any], field: str) -> dict[str, Any]:
        payload = self.graphql(document, variables).get(field)
        if not isinstance(payload, dict):
            raise ShopifyError(f"Shopify {field}: the answer has no {field} payload")
        if payload.get("userErrors"):
            raise ShopifyUserError(operation_name(document), list(payload["userErrors"]))
        return payload

    def _mutate_or_confirm_status(
        self, document: str, variables: Mapping[str, Any], field: str, return_gid: str, wanted_status: str
    ) -> None:
        """Runs a return mutation; a refusal is fine when the return already has the status asked for."""
        try:
            self._mutate(document, variables, field)
        except ShopifyUserError:
            node = self._required(self.graphql(documents.RETURN_STATUS, {"id": return_gid}), "return", return_gid)
            if node["status"] != wanted_status:
                raise

    def _assigned_location(self, fulfillment_order_gid: str) -> str | None:
        data = self.graphql(documents.FULFILLMENT_ORDER_LOCATION, {"id": fulfillment_order_gid})
        node = self._required(data, "fulfillmentOrder", fulfillment_order_gid)
        location = (node.get("assignedLocation") or {}).get("location")
        return str(location["id"]) if location else None

    def _pages(self, document: str, variables: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[dict[str, Any]]:
        """Each page of the connection at `path`, following `endCursor` until Shopify says there is no more."""
        after = variables.get("after")
        while True:
            data = self.graphql(document, {**variables, "after": after})
            connection: Any = data
            for key in path:
                connection = self._required(connection, key, str(variables.get("id", key)))
            yield data
            page_info = connection["pageInfo"]
            if not page_info["hasNextPage"]:
                return
            after = page_info["endCursor"]

    @staticmethod
    def _required(data: Mapping[str, Any], key: str, what: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise ShopifyNotFound(f"Shopify has no {key} {what}")
        return value


def _line_inputs(lines: Mapping[str, int]) -> list[dict[str, Any]]:
    return [
        {"id": to_gid("FulfillmentOrderLineItem", line_id), "quantity": int(quantity)}
        for line_id, quantity in lines.items()
    ]


def _process_lines(nodes: Iterable[Mapping[str, Any]], wanted: Mapping[int, int]) -> list[dict[str, Any]]:
    """Return line items and units to process for the units wanted per order line item, leaving out what
    Shopify has processed already."""
    left = dict(wanted)
    lines = []
    for node in nodes:
        item = (node.get("fulfillmentLineItem") or {}).get("lineItem")
        line_item_id = legacy_id(item["id"]) if item else None
        open_units = int(node["quantity"]) - int(node["processedQuantity"])
        units = min(left.get(line_item_id or 0, 0), open_units)
        if units > 0 and line_item_id is not None:
            lines.append({"id": node["id"], "quantity": units})
            left[line_item_id] -= units
    return lines


def _exchange_lines(nodes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The exchange items Shopify can still process, each with all its processable units."""
    return [
        {"id": node["id"], "quantity": int(node["processableQuantity"])}
        for node in nodes
        if int(node["processableQuantity"]) > 0
    ]


def _refund_transfer(transactions: Iterable[Mapping[str, Any]], refund: RefundToProcess) -> dict[str, Any] | None:
    """The money part of returnProcess: the amount to the original payment taken from the order's successful
    sales and captures in turn, and the store credit."""
    to_payment, credit = Decimal(refund.to_payment), Decimal(refund.store_credit)
    if to_payment <= 0 and credit <= 0:
        return None
    parents = []
    left = to_payment
    paid = [t for t in transactions if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"]
    for transaction in paid:
        if left <= 0:
            break
        amount = min(left, Decimal(transaction["amountSet"]["shopMoney"]["amount"]))
        parents.append({"parentId": transaction["id"], "transactionAmount": _money_input(amount, refund.currency)})
        left -= amount
    if left > 0 and paid:  # more than was paid: Shopify refuses it, and its message reaches the proposal
        parents.append({"parentId": paid[0]["id"], "transactionAmount": _money_input(left, refund.currency)})
    transfer: dict[str, Any] = {"orderTransactions": parents}
    if credit > 0:
        transfer["refundMethods"] = [{"storeCreditRefund": {"amount": _money_input(credit, refund.currency)}}]
    return transfer


def _money_input(amount: Decimal | str, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def _updated_after(since: datetime) -> str:
    """Shopify's search syntax for "changed after", in UTC to the second."""
    moment = since if since.tzinfo else since.replace(tzinfo=UTC)
    return f"updated_at:>'{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'"


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

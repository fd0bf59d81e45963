"""A stateful stand-in for the Shopify Admin GraphQL API, answering the operations the adapter sends.

It matches on operation name rather than parsing GraphQL, so a query renamed in the adapter fails loudly here
("unknown operation") instead of being answered with the wrong shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from tests.fakeshopify import reads, writes
from tests.fakeshopify.state import FakeShop

Resolver = Callable[[FakeShop, dict[str, Any]], dict[str, Any]]

QUERIES: dict[str, Resolver] = {
    "FetchReturn": reads.fetch_return,
    "ReturnStatus": reads.return_status,
    "FetchOrder": reads.fetch_order,
    "FetchOrderLineItems": reads.fetch_order_line_items,
    "FetchProductFacts": reads.fetch_product_facts,
    "FetchFulfillmentOrders": reads.fetch_fulfillment_orders,
    "FulfillmentOrderLocation": reads.fulfillment_order_location,
    "FetchInventory": reads.fetch_inventory,
    "FetchWebhookSubscriptions": reads.fetch_webhook_subscriptions,
    "OrdersUpdatedSince": reads.orders_updated_since,
    "CountOrdersUpdatedSince": reads.count_orders_updated_since,
    "FetchFulfillment": reads.fetch_fulfillment,
}

MUTATIONS: dict[str, Resolver] = {
    "ApproveReturn": writes.approve_return,
    "DeclineReturn": writes.decline_return,
    "MoveFulfillmentOrder": writes.move_fulfillment_order,
    "SplitFulfillmentOrder": writes.split_fulfillment_order,
    "HoldFulfillmentOrder": writes.hold_fulfillment_order,
    "AddTags": writes.add_tags,
    "SetOrderNote": writes.set_order_note,
}

_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")
_QUERY_COST = 12
_BUCKET = {"maximumAvailable": 2000.0, "restoreRate": 100.0}


def _cost(currently_available: float, actual: int | None) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": _QUERY_COST,
            "actualQueryCost": actual,
            "throttleStatus": {**_BUCKET, "currentlyAvailable": currently_available},
        }
    }


def _fault_response(fault: str, shop: FakeShop) -> Any:
    if fault == "429":
        response = jsonify({"errors": "Exceeded the rate limit for this app. Reduce request rates to resume."})
        response.status_code = 429
        response.headers["Retry-After"] = str(shop.retry_after_seconds)
        return response
    if fault == "throttled":
        errors = [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ]
        return jsonify({"errors": errors, "extensions": _cost(currently_available=2.0, actual=None)})
    return "Internal Server Error", 500


def create_fake_app(state: FakeShop | None = None) -> Flask:
    """The fake Admin API for one shop; its state is at `app.config["FAKE_SHOP"]`."""
    shop = state or FakeShop()
    app = Flask("fakeshopify")
    app.config["FAKE_SHOP"] = shop

    @app.post("/admin/api/<version>/graphql.json")
    def graphql(version: str) -> Any:
        body = request.get_json(silent=True) or {}
        match = _OPERATION.match(str(body.get("query", "")))
        kind, name = match.groups() if match else ("query", "anonymous")
        with shop.lock:
            shop.received.append(name)
            fault = shop.next_fault(name)
            if fault:
                return _fault_response(fault, shop)
            if request.headers.get("X-Shopify-Access-Token") != shop.access_token:
                return jsonify(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                ), 401
            resolver = (MUTATIONS if kind == "mutation" else QUERIES).get(name)
            if resolver is None:
                return jsonify({"errors": [{"message": f"fake Shopify does not know the {kind} {name}"}]})
            variables = dict(body.get("variables") or {})
            if kind == "mutation":
                shop.mutations.append((name, variables))
            data = resolver(shop, variables)
        return jsonify({"data": data, "extensions": _cost(currently_available=1988.0, actual=_QUERY_COST)})

    return app

"""A stateful stand-in for the Shopify Admin GraphQL API, answering the operations the adapter sends.

It matches on operation name rather than parsing GraphQL, so a query renamed in the adapter fails loudly here
("unknown operation") instead of being answered with the wrong shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify, request

from tests import shopify_schema
from tests.fakeshopify import costs, reads, schema_guard, writes
from tests.fakeshopify.oauth import FakeApp
from tests.fakeshopify.state import FakeShop

DEFAULT_SHOP = "fake-shop.myshopify.com"

Resolver = Callable[[FakeShop, dict[str, Any]], dict[str, Any]]

QUERIES: dict[str, Resolver] = {
    "FetchReturn": reads.fetch_return,
    "ReturnStatus": reads.return_status,
    "FetchReverseFulfillmentOrder": reads.fetch_reverse_fulfillment_order,
    "ReturnForProcessing": reads.return_for_processing,
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
    "CurrentAppScopes": reads.current_app_scopes,
}

MUTATIONS: dict[str, Resolver] = {
    "ApproveReturn": writes.approve_return,
    "DeclineReturn": writes.decline_return,
    "ProcessReturn": writes.process_return,
    "MoveFulfillmentOrder": writes.move_fulfillment_order,
    "SplitFulfillmentOrder": writes.split_fulfillment_order,
    "HoldFulfillmentOrder": writes.hold_fulfillment_order,
    "AddTags": writes.add_tags,
    "SetOrderNote": writes.set_order_note,
    "CreateWebhookSubscription": writes.create_webhook_subscription,
}

_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


def _cost(shop: FakeShop, requested: int, actual: int | None) -> dict[str, Any]:
    cost = {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": shop.bucket.status()}
    return {"cost": cost}


def _throttled(shop: FakeShop, requested: int) -> Any:
    errors = [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    return jsonify({"errors": errors, "extensions": _cost(shop, requested, None)})


def _too_expensive(requested: int) -> Any:
    message = (
        f"Query cost is {requested}, which exceeds the single query max cost limit ({costs.SINGLE_QUERY_LIMIT})."
        " See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the cost of a query is"
        " calculated. To query larger amounts of data with fewer limits, bulk operations should be used instead."
    )
    return jsonify({"errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested}}]})


def _fault_response(fault: str, shop: FakeShop, requested: int) -> Any:
    if fault == "429":
        response = jsonify({"errors": "Exceeded the rate limit for this app. Reduce request rates to resume."})
        response.status_code = 429
        response.headers["Retry-After"] = str(shop.retry_after_seconds)
        return response
    if fault == "throttled":  # the bucket spent to the last point, by this app's other requests
        shop.bucket.drain()
        return _throttled(shop, requested)
    return "Internal Server Error", 500


def _requested_cost(document: str, variables: dict[str, Any], version: str) -> int:
    """0 for a document Shopify would refuse: the schema check reports it."""
    try:
        if shopify_schema.document_problems(document, version, deprecated_allowed=True):
            return 0
        return costs.requested_cost(document, variables, version)
    except LookupError:
        return 0


def _schema_misfit(document: str, data: Any, variables: dict[str, Any], version: str) -> str | None:
    try:
        problems = shopify_schema.answer_problems(document, data, variables, version)
    except LookupError as unknown_version:
        return str(unknown_version)
    return shopify_schema.describe(document, problems) if problems else None


def create_fake_app(
    state: FakeShop | None = None, shops: dict[str, FakeShop] | None = None, oauth: FakeApp | None = None
) -> Flask:
    """The fake Admin API. One shop (`state`) answers at `/admin/...`; each of `shops` at `/shops/<domain>/admin/...`
    (point SHOPIFY_ADMIN_URL at `<base>/shops/{shop}`). With `oauth`, the token endpoint hands out tokens for them.
    States are at `app.config["FAKE_SHOP"]` (the one shop) and `app.config["FAKE_SHOPS"]`."""
    everyone = dict(shops or {})
    if state is not None or not everyone:
        everyone[DEFAULT_SHOP] = state or FakeShop()
    app = Flask("fakeshopify")
    app.config["FAKE_SHOP"] = everyone.get(DEFAULT_SHOP)
    app.config["FAKE_SHOPS"] = everyone
    app.config["FAKE_APP"] = oauth

    def graphql(domain: str, version: str) -> Any:
        shop = everyone.get(domain)
        if shop is None:
            return jsonify({"errors": "Not Found"}), 404
        body = request.get_json(silent=True) or {}
        document = str(body.get("query", ""))
        match = _OPERATION.match(document)
        kind, name = match.groups() if match else ("query", "anonymous")
        with shop.answering(name):
            return answer(shop, domain, version, document, dict(body.get("variables") or {}), (kind, name))

    def answer(
        shop: FakeShop, domain: str, version: str, document: str, variables: dict[str, Any], operation: tuple[str, str]
    ) -> Any:
        kind, name = operation
        requested = _requested_cost(document, variables, version)
        with shop.lock:
            shop.received.append(name)
            fault = shop.next_fault(name)
            if fault and fault != "lost":
                return _fault_response(fault, shop, requested)
            token = request.headers.get("X-Shopify-Access-Token") or ""
            from_grant = oauth is not None and oauth.accepts(domain, token)
            if not from_grant and not (shop.access_token and token == shop.access_token):
                shop.unauthorized += 1
                return jsonify(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                ), 401
            if requested > costs.SINGLE_QUERY_LIMIT:
                return _too_expensive(requested)
            resolver = (MUTATIONS if kind == "mutation" else QUERIES).get(name)
            if resolver is None:
                return jsonify({"errors": [{"message": f"fake Shopify does not know the {kind} {name}"}]})
            if not shop.bucket.take(requested):
                return _throttled(shop, requested)
            if kind == "mutation":
                shop.mutations.append((name, variables))
            shop.granted_now = tuple(oauth.scopes.split(",")) if from_grant and oauth.scopes else shop.scopes
            data = resolver(shop, variables)
            misfit = _schema_misfit(document, data, variables, version)
            if misfit:
                schema_guard.report(misfit)
                return jsonify({"errors": [{"message": misfit, "extensions": {"code": "FAKE_ANSWER_OUTSIDE_SCHEMA"}}]})
            actual = costs.actual_cost(document, variables, version, data)
            shop.bucket.give_back(requested - actual)  # Shopify refunds what the answer did not use
            if fault == "lost":  # carried out, then the answer is lost on the way back
                return "Bad Gateway", 502
            shop.answered.append(name)
            return jsonify({"data": data, "extensions": _cost(shop, requested, actual)})

    def access_token(domain: str) -> Any:
        if oauth is None or domain not in everyone:
            return jsonify({"errors": "Not Found"}), 404
        status, answer = oauth.answer(domain, {key: str(value) for key, value in request.form.items()})
        return jsonify(answer), status

    app.add_url_rule(
        "/admin/api/<version>/graphql.json", "graphql", lambda version: graphql(DEFAULT_SHOP, version), methods=["POST"]
    )
    app.add_url_rule(
        "/shops/<domain>/admin/api/<version>/graphql.json",
        "shop_graphql",
        lambda domain, version: graphql(domain, version),
        methods=["POST"],
    )
    app.add_url_rule("/admin/oauth/access_token", "token", lambda: access_token(DEFAULT_SHOP), methods=["POST"])
    app.add_url_rule("/shops/<domain>/admin/oauth/access_token", "shop_token", access_token, methods=["POST"])
    return app

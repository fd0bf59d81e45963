"""The Admin API access scopes shopworker asks for: one list, used by shopify.app.toml (a test holds them equal),
the install redirect (`/auth`) and `shopworker shops check`. Each is here because of what the code calls."""

from __future__ import annotations

# scope -> what needs it
NEEDED: dict[str, str] = {
    "read_orders": "orders, their fulfillments and refunds (reads, reconciliation, orders/* and refunds/create)",
    "write_orders": "tags and notes on orders (late deliveries, split plans)",
    "read_fulfillments": "fulfillments/* and fulfillment_events/create webhooks",
    "read_returns": "return requests and their lines (returns/* webhooks)",
    "write_returns": "approving and declining returns under the store's policy",
    "read_products": "product types and tags that the returns policy judges by",
    "read_inventory": "stock per location for the split planner",
    "read_locations": "the locations stock is held at",
    "read_merchant_managed_fulfillment_orders": "fulfillment orders to plan a split on",
    "write_merchant_managed_fulfillment_orders": "moving, splitting and holding fulfillment orders",
}
SCOPES: tuple[str, ...] = tuple(NEEDED)


def missing(granted: list[str] | tuple[str, ...]) -> list[str]:
    """The scopes we need that were not granted; a write scope implies its read scope, as Shopify has it."""
    have = set(granted) | {f"read_{scope[len('write_') :]}" for scope in granted if scope.startswith("write_")}
    return [scope for scope in SCOPES if scope not in have]

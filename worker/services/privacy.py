"""Privacy: Shopify's mandatory customer and shop requests, carried out over every area's records."""

from __future__ import annotations

from typing import Any

from worker.bootstrap import Services


def redact_customer(ctx: Services, shop: str, payload: dict[str, Any]) -> None:
    """`customers/redact`: the customer's personal data scrubbed from every record of the orders named."""
    customer_id = (payload.get("customer") or {}).get("id")
    if customer_id is not None:
        ctx.records.redact_customer(shop, customer_id, payload.get("orders_to_redact") or [])


def export_customer(ctx: Services, shop: str, payload: dict[str, Any]) -> None:
    """`customers/data_request`: what we hold about the customer, written for the merchant to hand over."""
    customer_id = (payload.get("customer") or {}).get("id")
    if customer_id is not None:
        request_id = (payload.get("data_request") or {}).get("id")
        ctx.records.export_customer(shop, customer_id, payload.get("orders_requested") or [], request_id)


def redact_shop(ctx: Services, shop: str) -> None:
    """`shop/redact`: everything held for the shop, deleted."""
    ctx.records.redact_shop(shop)

"""Shopify's mandatory privacy topics and the uninstall notice."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.events import Event


def handle(ctx: Services, event: Event) -> str:
    payload = event.payload
    customer_id = (payload.get("customer") or {}).get("id")
    if event.topic == "customers/redact" and customer_id is not None:
        ctx.records.redact_customer(event.shop, customer_id, payload.get("orders_to_redact") or [])
    elif event.topic == "customers/data_request" and customer_id is not None:
        request_id = (payload.get("data_request") or {}).get("id")
        ctx.records.export_customer(event.shop, customer_id, payload.get("orders_requested") or [], request_id)
    elif event.topic == "shop/redact":
        ctx.records.redact_shop(event.shop)
    return "processed"

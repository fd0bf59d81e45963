"""Privacy: Shopify's mandatory customer and shop requests, carried out over every area's records."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from worker.bootstrap import Services
from worker.domain.events import Event

log = logging.getLogger(__name__)
EXPORT_DAYS = 30


def redact_customer(ctx: Services, shop: str, payload: dict[str, Any]) -> None:
    """`customers/redact`: the customer's personal data scrubbed from every record of the orders named."""
    customer_id = (payload.get("customer") or {}).get("id")
    if customer_id is not None:
        ctx.records.redact_customer(shop, customer_id, payload.get("orders_to_redact") or [])


def export_customer(ctx: Services, event: Event) -> None:
    """`customers/data_request`: what we hold about the customer, written for the merchant to hand over, and a log
    line saying where to find it and by when (it names the export, never the customer)."""
    payload = event.payload
    customer_id = (payload.get("customer") or {}).get("id")
    if customer_id is None:
        return
    request_id = (payload.get("data_request") or {}).get("id")
    requested_at = event.triggered_at or event.received_at
    export = ctx.records.export_customer(
        event.shop, customer_id, payload.get("orders_requested") or [], request_id, requested_at
    )
    due = f"{hand_over_by(export.requested_at):%Y-%m-%d}"
    log.warning(
        "customer data export %s of %s is ready: give it to the customer by %s (`shopworker privacy export %s`)",
        *(export.id, event.shop, due, export.id),
        extra={"shop": event.shop, "export": export.id, "due": due},
    )


def hand_over_by(requested_at: datetime) -> datetime:
    """Shopify asks for data requests to be answered within 30 days of their receipt."""
    return requested_at + timedelta(days=EXPORT_DAYS)


def redact_shop(ctx: Services, shop: str) -> None:
    """`shop/redact`: everything held for the shop, deleted."""
    ctx.records.redact_shop(shop)

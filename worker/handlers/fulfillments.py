"""Fulfillment topics: shipments with their location, tracking and carrier status."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.events import Event, parse_time


def handle(ctx: Services, event: Event) -> str:
    payload = event.payload
    if event.topic == "fulfillment_events/create":
        at = parse_time(payload.get("happened_at")) or parse_time(payload.get("created_at")) or event.received_at
        fresh = ctx.records.record_shipment_status(
            event.shop, payload["order_id"], payload["fulfillment_id"], payload["status"], at
        )
    else:
        fresh = ctx.records.save_fulfillment(event.shop, payload)
    return "processed" if fresh else "stale"

"""Fulfillment topics: each shipment recorded, then its late-delivery clock looked at."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.domain.events import Event
from worker.services import late_deliveries


def handle(ctx: Services, event: Event) -> str:
    if event.topic == "fulfillment_events/create":
        return late_deliveries.record_shipment_event(ctx, event)
    return late_deliveries.record_fulfillment(ctx, event)

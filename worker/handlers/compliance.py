"""Shopify's mandatory privacy topics and the uninstall notice."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.domain.events import Event
from worker.services import credentials, privacy


def handle(ctx: Services, event: Event) -> str:
    if event.topic == "customers/redact":
        privacy.redact_customer(ctx, event)
    elif event.topic == "customers/data_request":
        privacy.export_customer(ctx, event)
    elif event.topic == "shop/redact":
        privacy.redact_shop(ctx, event)
    elif event.topic == "app/uninstalled":
        privacy.audit(ctx, event, credentials.uninstall(ctx, event.shop))
    return "processed"

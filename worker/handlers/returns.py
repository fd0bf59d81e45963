"""Return and refund topics."""

from __future__ import annotations

from worker.bootstrap import Services
from worker.domain.events import Event
from worker.services import return_refunds, returns


def handle(ctx: Services, event: Event) -> str:
    if event.topic == "returns/request":
        returns.judge_request(ctx, event)
    elif event.topic == "returns/update":
        returns.judge_request(ctx, event, shopify_status=None)
    elif event.topic in returns.SHOPIFY_STATUS_OF_TOPIC:
        returns.note_shopify_status(ctx, event)
    elif event.topic == "returns/reopen":
        returns.note_reopened(ctx, event)
    elif event.topic == "returns/process":
        return_refunds.note_processed(ctx, event)
    elif event.topic == "reverse_fulfillment_orders/dispose":
        return_refunds.inspect_dispositions(ctx, event)
    elif event.topic == "refunds/create":
        returns.record_refund(ctx, event)
        return_refunds.close_loop(ctx, event)
    return "processed"

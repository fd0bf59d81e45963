"""RQ entry points: thin functions that take a JSON envelope, log the event, and hand it to its handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from worker import metrics, periodic
from worker.adapters.outbox import ACTIONS, DONE
from worker.adapters.shopify import ShopifyError, ShopifyUserError
from worker.bootstrap import Services, services
from worker.events import Event
from worker.handlers import compliance, fulfillments, orders, returns

log = logging.getLogger(__name__)
Handler = Callable[[Services, Event], str]


def _run(envelope: dict[str, Any], handle: Handler) -> str:
    """Log the event first (so it can be replayed whatever happens), run its handler, record the outcome.
    A failure is recorded and re-raised so RQ retries it with backoff and keeps it in the failed registry."""
    ctx = services()
    event = Event.from_envelope(envelope)
    row = ctx.records.begin_event(event)
    handler = handle.__module__.rpartition(".")[2]
    try:
        outcome = handle(ctx, event)
    except Exception as error:
        ctx.records.finish_event(row, "failed", f"{type(error).__name__}: {error}")
        metrics.count_job(ctx.jobs.redis, handler, "failed")
        raise
    ctx.records.finish_event(row, outcome)
    metrics.count_job(ctx.jobs.redis, handler, outcome)
    log.info("event %s", outcome, extra={"shop": event.shop, "topic": event.topic, "event": event.event_id})
    return outcome


def order_event(envelope: dict[str, Any]) -> str:
    return _run(envelope, orders.handle)


def fulfillment_event(envelope: dict[str, Any]) -> str:
    return _run(envelope, fulfillments.handle)


def return_event(envelope: dict[str, Any]) -> str:
    return _run(envelope, returns.handle)


def compliance_event(envelope: dict[str, Any]) -> str:
    return _run(envelope, compliance.handle)


def send_action(payload: dict[str, Any]) -> str:
    """Perform one outbox action in Shopify. Without credentials it stays a dry-run entry; a refusal by Shopify
    is final and recorded; a transient error is recorded and raised so RQ retries with backoff."""
    ctx = services()
    action = ctx.outbox.get(payload["action_id"])
    if action is None or action.status in DONE:
        return action.status if action else "missing"
    shopify = ctx.shopify_for(action.shop)
    if shopify is None:
        ctx.outbox.settle(action.id, "dry_run", ctx.now())
        return "dry_run"
    try:
        result = ACTIONS[action.action](shopify, action.target, action.params)
    except ShopifyUserError as refusal:
        ctx.outbox.settle(action.id, "failed", ctx.now(), error=str(refusal))
        return "failed"
    except ShopifyError as error:
        ctx.outbox.settle(action.id, "pending", ctx.now(), error=str(error))
        raise
    ctx.outbox.settle(action.id, "sent", ctx.now(), result=result)
    return "sent"


def resend_pending_actions() -> int:
    """Catch actions whose sender job was never queued (Redis was down after the commit) or was lost."""
    ctx = services()
    stuck = ctx.outbox.pending(created_before=ctx.now() - timedelta(minutes=5))
    ctx.dispatch(stuck)
    return len(stuck)


def run_periodic(payload: dict[str, Any]) -> Any:
    ctx = services()
    name = payload["name"]
    periodic.schedule_next(ctx.jobs, name, ctx.now())
    return globals()[periodic.SCHEDULE[name][0]]()


def late_check(payload: dict[str, Any]) -> str:
    return fulfillments.check_late(services(), payload)


def sweep_late_deliveries() -> int:
    return fulfillments.sweep_late(services())


def publish_metrics() -> dict[str, Any]:
    ctx = services()
    return metrics.publish_figures(ctx.jobs.redis, ctx.engine, ctx.now())


def reconcile_shops() -> int:
    from worker import reconcile

    return reconcile.reconcile_all(services())

"""RQ entry points: thin functions that take a JSON envelope, log the event, and hand it to its handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from worker import metrics, periodic
from worker.bootstrap import Services, services
from worker.domain.events import Event
from worker.handlers import compliance, fulfillments, orders, returns
from worker.services import events, late_deliveries, outbox, reconciliation

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
    return outbox.send(services(), payload["action_id"])


def resend_pending_actions() -> int:
    return outbox.resend_stuck(services())


def run_periodic(payload: dict[str, Any]) -> Any:
    ctx = services()
    name = payload["name"]
    periodic.schedule_next(ctx.jobs, name, ctx.now())
    return globals()[periodic.SCHEDULE[name][0]]()


def late_check(payload: dict[str, Any]) -> str:
    return late_deliveries.check_shipment(services(), payload["shop"], int(payload["fulfillment_id"]))


def sweep_late_deliveries() -> int:
    return late_deliveries.sweep_late(services())


def publish_metrics() -> dict[str, Any]:
    ctx = services()
    return metrics.publish_figures(ctx.jobs.redis, ctx.engine, ctx.now())


def prune_event_payloads() -> int:
    return events.prune_payloads(services())


def reconcile_shops() -> int:
    return reconciliation.reconcile_all(services())

"""RQ entry points: thin functions that take a JSON envelope, log the event, and hand it to its handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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
    try:
        outcome = handle(ctx, event)
    except Exception as error:
        ctx.records.finish_event(row, "failed", f"{type(error).__name__}: {error}")
        raise
    ctx.records.finish_event(row, outcome)
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

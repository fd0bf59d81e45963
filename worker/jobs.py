"""RQ entry points: thin functions that take a JSON envelope, log the event, and hand it to its handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import DataError

from queueing.payloads import PayloadError, check_storable, check_values, storable_copy
from worker import metrics, periodic
from worker.bootstrap import Services, services
from worker.domain.events import Event
from worker.handlers import compliance, fulfillments, orders, returns
from worker.services import events, late_deliveries, outbox, privacy, reconciliation

log = logging.getLogger(__name__)
Handler = Callable[[Services, Event], str]
PROCESSED = "processed"


# Errors no retry can cure: a value the records cannot hold (a NUL, an integer beyond 64 bits, a string longer
# than its column). The receiver refuses such bodies; a replay or a job queued before it did can still hold one.
PERMANENT_ERRORS = (PayloadError, DataError, OverflowError)


def _run(envelope: dict[str, Any], handle: Handler) -> str:
    """Run the event's handler and log the event with its outcome, all in one transaction that holds the event's
    order (so two workers never interleave writes to one order). A failure rolls that back and logs the event
    failed in a statement of its own, so it can be replayed whatever happened; it is re-raised so RQ retries it
    with backoff and keeps it in the failed registry. A permanent one is logged `failed` with its reason at once
    and not retried."""
    ctx = services()
    event = Event.from_envelope(envelope)
    handler = handle.__module__.rpartition(".")[2]
    logged = False
    try:
        body = envelope.get("body")
        if isinstance(body, str):
            check_storable(body.encode(), event.payload)
        else:
            check_values(event.payload)
        with ctx.db.job():
            screened = privacy.screen(ctx, event)
            if screened is None:
                return _skip_redacted(ctx, event, handler)
            event = screened
            # The order held and the event logged, both sent with the handler's first statement. Logged as
            # processed, the usual outcome; another one changes the row before the commit. (A shop's redaction
            # deletes the row with the shop's other records, and no later write brings it back.)
            if event.order_id is not None:
                ctx.db.lock_order(event.shop, event.order_id)
            ctx.records.log_event(event, PROCESSED)
            logged = True
            outcome = handle(ctx, event)
            if outcome != PROCESSED:
                ctx.records.set_event_status(event, outcome)
    except PERMANENT_ERRORS as error:
        # Logged as far as the event log can hold the payload (NULs replaced, integers beyond 64 bits as strings).
        unreadable = privacy.screen(ctx, replace(event, payload=storable_copy(event.payload)))
        if unreadable is None:
            return _skip_redacted(ctx, event, handler)
        return _give_up(ctx, unreadable, handler, error, logged)
    except Exception as error:
        _log_failed(ctx, event, _error_text(error), logged)
        metrics.count_job(handler, "failed")
        raise
    metrics.count_job(handler, outcome)
    log.info("event %s", outcome, extra={"shop": event.shop, "topic": event.topic, "event": event.event_id})
    return outcome


def _skip_redacted(ctx: Services, event: Event, handler: str) -> str:
    """An event sent before its shop was redacted (a late retry, a replay) writes nothing at all."""
    metrics.count_job(handler, "redacted")
    log.info(
        "event of a redacted shop skipped", extra={"shop": event.shop, "topic": event.topic, "event": event.event_id}
    )
    return "redacted"


def _log_failed(ctx: Services, event: Event, error: str, logged: bool) -> None:
    """The failed attempt in the log. Its writes were rolled back, its row with them, except on SQLite, where
    each store commits as it goes: a row this attempt wrote is then only marked failed, not counted again."""
    if logged and not ctx.db.atomic_jobs:
        ctx.records.set_event_status(event, "failed", error)
    else:
        ctx.records.log_event(event, "failed", error)


def _give_up(ctx: Services, event: Event, handler: str, error: Exception, logged: bool) -> str:
    _log_failed(ctx, event, f"{_error_text(error)} (permanent: not retried)", logged)
    metrics.count_job(handler, "failed")
    log.warning(
        "event failed for good, not retried: %s",
        type(error).__name__,
        extra={"shop": event.shop, "topic": event.topic, "event": event.event_id},
    )
    return "failed"


def _error_text(error: Exception) -> str:
    """The failure as the event log keeps it, one line: a database error in the driver's own words (SQLAlchemy's
    text quotes the statement and its parameters, which are the payload's personal data)."""
    lines = str(getattr(error, "orig", None) or error).replace("\x00", "").splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


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

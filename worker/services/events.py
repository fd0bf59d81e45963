"""The event log's use cases: a logged delivery sent through its job again (CLI and operator pages), and the
payloads of processed events dropped after the retention period (a recurring job)."""

from __future__ import annotations

from datetime import timedelta

from queueing.topics import JOB_FOR_TOPIC
from worker.adapters.records import EventRecord
from worker.bootstrap import Services
from worker.domain.events import Event


class PayloadPruned(LookupError):
    """The event's record stays, but what Shopify sent was dropped after EVENT_RETENTION_DAYS."""


def replay(ctx: Services, logged: EventRecord) -> bool:
    """Queue a logged event again exactly as received, marked as a replay; its handler is idempotent.
    False when its topic is no longer handled; PayloadPruned when there is nothing left to send."""
    if logged.payload is None:
        raise PayloadPruned(f"event {logged.id}: its payload was pruned after the retention period")
    job = JOB_FOR_TOPIC.get(logged.topic)
    if job is None:
        return False
    event = Event(logged.shop, logged.topic, logged.event_id, logged.payload, logged.received_at)
    ctx.jobs.enqueue(job, event.to_envelope(source="replay"), f"replay of event {logged.id}")
    return True


def prune_payloads(ctx: Services) -> int:
    """The event log keeps every record, but a processed event's payload only EVENT_RETENTION_DAYS."""
    return ctx.records.prune_payloads(ctx.now() - timedelta(days=ctx.settings.event_retention_days))

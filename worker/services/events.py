"""The event log's use cases: a logged delivery sent through its job again (CLI and operator pages)."""

from __future__ import annotations

from queueing.topics import JOB_FOR_TOPIC
from worker.adapters.records import EventRecord
from worker.bootstrap import Services
from worker.domain.events import Event


def replay(ctx: Services, logged: EventRecord) -> bool:
    """Queue a logged event again exactly as received, marked as a replay; its handler is idempotent.
    False when its topic is no longer handled."""
    job = JOB_FOR_TOPIC.get(logged.topic)
    if job is None:
        return False
    event = Event(logged.shop, logged.topic, logged.event_id, logged.payload, logged.received_at)
    ctx.jobs.enqueue(job, event.to_envelope(source="replay"), f"replay of event {logged.id}")
    return True

"""`shopworker events`: the event log, and replaying any event through its handler again."""

from __future__ import annotations

import click
from redis import Redis

from worker.adapters.records import Records
from worker.cli import InputError
from worker.cli.settings import settings_from_env


def _records() -> Records:
    from worker.adapters.db import make_engine

    settings = settings_from_env()
    return Records(make_engine(settings.database_url, settings.database_schema))


@click.group(name="events")
def group() -> None:
    """List and replay logged events."""


@group.command(name="list")
@click.option("--shop")
@click.option("--topic")
@click.option("--status", type=click.Choice(["received", "processing", "processed", "stale", "failed"]))
@click.option("--order", "order_id", type=int, help="Only events about this order id.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_events(shop: str | None, topic: str | None, status: str | None, order_id: int | None, limit: int) -> None:
    """Newest first: id, when received, shop, topic, status, attempts, last error."""
    for event in _records().list_events(shop, topic, status, order_id, limit):
        error = f"  {event.last_error}" if event.last_error else ""
        click.echo(
            f"{event.id:>6}  {event.received_at:%Y-%m-%d %H:%M:%S}  {event.shop}  {event.topic:<28} "
            f"{event.status:<10} x{event.attempts}{error}"
        )


@group.command(name="replay")
@click.argument("event_ids", nargs=-1, type=int, required=True)
def replay_events(event_ids: tuple[int, ...]) -> None:
    """Queue logged events again, exactly as received; their handlers are idempotent."""
    from webhooks.intake import Intake
    from webhooks.topics import JOB_FOR_TOPIC
    from worker.events import Event

    settings = settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: replays are queued for a running worker")
    records = _records()
    intake = Intake(Redis.from_url(settings.redis_url), settings.queue_name, settings.dedup_seconds)
    for event_id in event_ids:
        logged = records.get_event(event_id)
        if logged is None:
            raise InputError(f"no event with id {event_id}")
        event = Event(logged.shop, logged.topic, logged.event_id, logged.payload, logged.received_at)
        intake.enqueue(JOB_FOR_TOPIC[logged.topic], event.to_envelope(source="replay"), f"replay of event {event_id}")
        click.echo(f"event {event_id} ({logged.topic}) queued again")

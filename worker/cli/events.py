"""`shopworker events`: the event log, and replaying any event through its handler again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from redis import Redis

from worker.adapters.records import Records
from worker.cli import InputError
from worker.cli.settings import database_from_env, settings_from_env


@contextmanager
def _records() -> Iterator[Records]:
    with database_from_env() as engine:
        yield Records(engine)


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
    with _records() as records:
        listed = records.list_events(shop, topic, status, order_id, limit)
    for event in listed:
        error = f"  {event.last_error}" if event.last_error else ""
        click.echo(
            f"{event.id:>6}  {event.received_at:%Y-%m-%d %H:%M:%S}  {event.shop}  {event.topic:<28} "
            f"{event.status:<10} x{event.attempts}{error}"
        )


@group.command(name="replay")
@click.argument("event_ids", nargs=-1, type=int, required=True)
def replay_events(event_ids: tuple[int, ...]) -> None:
    """Queue logged events again, exactly as received; their handlers are idempotent."""
    from queueing.intake import Intake
    from worker.services.events import replay

    settings = settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: replays are queued for a running worker")
    with _records() as records:
        logged_events = {event_id: records.get_event(event_id) for event_id in event_ids}
    intake = Intake(Redis.from_url(settings.redis_url), settings.queue_name, settings.dedup_seconds)
    for event_id, logged in logged_events.items():
        if logged is None:
            raise InputError(f"no event with id {event_id}")
        if not replay(logged, intake):
            raise InputError(f"event {event_id}: topic {logged.topic} is no longer handled")
        click.echo(f"event {event_id} ({logged.topic}) queued again")

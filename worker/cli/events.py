"""`shopworker events`: the event log, and replaying any event through its handler again."""

from __future__ import annotations

import click

from worker.cli import InputError
from worker.cli.settings import services_from_env, settings_from_env


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
    with services_from_env() as services:
        listed = services.records.list_events(shop, topic, status, order_id, limit)
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
    from worker.services.events import replay

    settings = settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: replays are queued for a running worker")
    with services_from_env(settings) as services:
        logged_events = {event_id: services.records.get_event(event_id) for event_id in event_ids}
        for event_id, logged in logged_events.items():
            if logged is None:
                raise InputError(f"no event with id {event_id}")
            if not replay(services, logged):
                raise InputError(f"event {event_id}: topic {logged.topic} is no longer handled")
            click.echo(f"event {event_id} ({logged.topic}) queued again")

"""`shopworker events`: the event log, and replaying any event through its handler again."""

from __future__ import annotations

import click

from worker.cli import InputError
from worker.cli.output import OrderParam, OrderRef, print_table, resolve_order
from worker.cli.settings import services_from_env, settings_from_env


@click.group(name="events")
def group() -> None:
    """List and replay logged events."""


@group.command(name="list")
@click.option("--shop")
@click.option("--topic")
@click.option("--status", type=click.Choice(["received", "processing", "processed", "stale", "failed"]))
@click.option("--order", "order", type=OrderParam(), help="Only events about this order (#1001, or its id).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def list_events(shop: str | None, topic: str | None, status: str | None, order: OrderRef | None, limit: int) -> None:
    """Newest first: id, when received (UTC), shop, topic, order, status, attempts, last error."""
    with services_from_env(read_only=True) as services:
        records = services.records
        order_id = None
        if order is not None:
            shop, order_id = resolve_order(records, order, shop)
        listed = records.list_events(shop, topic, status, order_id, limit)
        names = records.order_names((event.shop, event.order_id) for event in listed if event.order_id)
    print_table(
        ("id", "received", "shop", "topic", "order", "status", "attempts", "last error"),
        (
            (
                event.id,
                f"{event.received_at:%Y-%m-%d %H:%M:%S}",
                event.shop,
                event.topic,
                names.get((event.shop, event.order_id), event.order_id),
                event.status,
                event.attempts,
                event.last_error.splitlines()[0] if event.last_error else None,
            )
            for event in listed
        ),
    )


@group.command(name="replay")
@click.argument("event_ids", nargs=-1, type=click.IntRange(1, 2**31 - 1), required=True)
def replay_events(event_ids: tuple[int, ...]) -> None:
    """Queue logged events again, exactly as received; their handlers are idempotent."""
    from worker.services.events import PayloadPruned, replay

    settings = settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: replays are queued for a running worker")
    with services_from_env(settings) as services:
        logged_events = {event_id: services.records.get_event(event_id) for event_id in event_ids}
        for event_id, logged in logged_events.items():
            if logged is None:
                raise InputError(f"no event with id {event_id}")
            try:
                queued = replay(services, logged)
            except PayloadPruned as error:
                raise InputError(str(error)) from None
            if not queued:
                raise InputError(f"event {event_id}: topic {logged.topic} is no longer handled")
            click.echo(f"event {event_id} ({logged.topic}) queued again")

"""`shopworker late`: ask the late-delivery clock about one shipment (a dry run that writes nothing), list the
shipments late now, run the sweep that records them, or close a case."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click

from config.policies import load_policy, store_names
from worker.cli import InputError, Moment
from worker.cli.output import OrderParam, OrderRef, print_json, print_table, resolve_order
from worker.cli.settings import services_from_env, settings_from_env
from worker.domain.clock import BusinessCalendar, ClockError, classify
from worker.domain.late import CASE_RESOLUTIONS
from worker.domain.policy import PolicyError


@click.group(name="late")
def group() -> None:
    """Late deliveries: when an undelivered shipment is flagged, then escalated, under its store's rule."""


@group.command()
@click.option("--store", required=True, help="The store's policy name, e.g. starlow.")
@click.option("--shipped-at", required=True, type=Moment(), help="When the shipment left (ISO 8601; naive is UTC).")
@click.option("--delivered-at", type=Moment(), help="When it was delivered, if it was; this stops the clock.")
@click.option("--now", type=Moment(), help="The moment to judge at; defaults to the current time.")
def check(store: str, shipped_at: datetime, delivered_at: datetime | None, now: datetime | None) -> None:
    """Print the shipment's elapsed days and its state (on_time, late, escalated, delivered) as JSON."""
    try:
        policy = load_policy(store)
        calendar = BusinessCalendar(policy.country, policy.subdivision, policy.timezone)
        status = classify(calendar, policy.late, shipped_at, now or datetime.now(UTC), delivered_at)
    except (PolicyError, ClockError) as error:
        raise InputError(str(error)) from None
    report = {
        "store": policy.name,
        "calendar": calendar.name,
        "elapsed_business_days": status.elapsed_business_days,
        "elapsed_calendar_days": status.elapsed_calendar_days,
        "state": status.state,
        "late_after": policy.late.late_after,
        "escalate_after": policy.late.escalate_after,
        "day_kind": policy.late.day_kind,
    }
    print_json(report)


def _store_option(function: Any) -> Any:
    return click.option("--store", help="Only the shops under this store policy, e.g. starlow.")(function)


def _now_option(function: Any) -> Any:
    return click.option("--now", type=Moment(), help="The moment to judge at (ISO 8601); defaults to now.")(function)


def _moment(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _stores(store: str | None) -> list[str] | None:
    if store is not None and store not in store_names():
        raise InputError(f"no store policy named {store!r} (known: {', '.join(store_names())})")
    return None if store is None else [store]


@group.command()
@_store_option
@click.option("--shop", help="Only this shop.")
@click.option("--order", type=OrderParam(), help="Only this order's shipments (#1001, or its id).")
@_now_option
def report(store: str | None, shop: str | None, order: OrderRef | None, now: datetime | None) -> None:
    """List the shipments late or escalated now, recorded yet or not: shop, order, fulfillment, state, elapsed, since.

    Reads every undelivered shipment of the watched shops (a progress bar on stderr) and writes nothing; needs only
    the database."""
    from worker.domain.late import worst
    from worker.services.late_deliveries import count_in_transit, late_shipments

    stores, moment = _stores(store), _moment(now)
    with services_from_env(settings_from_env(require_secret=False), read_only=True) as services:
        order_id = None
        if order is not None:
            shop, order_id = resolve_order(services.records, order, shop)
        try:
            total = count_in_transit(services, stores)
            with click.progressbar(length=total, label="shipments in transit", file=sys.stderr) as bar:
                late = late_shipments(services, moment, stores, progress=bar.update)
        except (PolicyError, ClockError) as error:
            raise InputError(str(error)) from None
        late = [s for s in late if (shop is None or s.shop == shop) and order_id in (None, s.order_id)]
        names = services.records.order_names((s.shop, s.order_id) for s in late)
    if not late:
        click.echo(f"no shipment is late at {moment.isoformat()}")
        return
    orders: dict[tuple[str, int], list[Any]] = {}
    for shipment in late:
        orders.setdefault((shipment.shop, shipment.order_id), []).append(shipment.state)
    print_table(
        ("shop", "order", "fulfillment", "state", "order is", "elapsed", "since (UTC)"),
        (
            (
                s.shop,
                names.get((s.shop, s.order_id), s.order_id),
                s.fulfillment_id,
                s.state,
                worst(orders[s.shop, s.order_id]),
                f"{s.elapsed_days} {s.day_kind} days",
                f"{s.since.astimezone(UTC):%Y-%m-%d %H:%M}",
            )
            for s in late
        ),
    )


@group.command(name="sweep")
@_store_option
@_now_option
def sweep_command(store: str | None, now: datetime | None) -> None:
    """Record now what is due: a flag for each shipment past its store's first threshold, a case past the second
    or on a carrier failure, with their Shopify actions queued. Safe to repeat; the worker runs it hourly."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import OperationalError

    from worker.services.late_deliveries import sweep

    stores, moment, settings = _stores(store), _moment(now), settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: the sweep queues its Shopify actions for a running worker")
    try:
        with services_from_env(settings) as services:
            counts = sweep(services, moment, stores)
    except (PolicyError, ClockError) as error:
        raise InputError(str(error)) from None
    except (OperationalError, RedisError) as error:
        raise click.ClickException(f"the sweep could not finish: {str(error).splitlines()[0]}") from None
    click.echo(f"{counts.flags} flags, {counts.cases} cases, {counts.actions} Shopify actions queued")
    if counts.unwatched:
        click.echo(f"not watched (no store policy): {', '.join(counts.unwatched)}")


@group.command(name="cases")
@click.option("--shop", help="Only this shop.")
@click.option("--state", type=click.Choice(["open", "closed", "any"]), default="open", show_default=True)
def cases_command(shop: str | None, state: str) -> None:
    """List the late-delivery cases with their ids: shop, order, fulfillment, state, how and by whom closed, when
    opened and when the parcel arrived (UTC). Needs only the database."""
    with services_from_env(settings_from_env(require_secret=False), read_only=True) as services:
        found = services.late.records(
            shops=None if shop is None else [shop],
            kind="case",
            open_only={"open": True, "closed": False}.get(state),
            limit=10_000,
        )
        names = services.records.order_names((case.shop, case.order_id) for case in found)
    print_table(
        ("case", "shop", "order", "fulfillment", "state", "closed as", "by", "opened (UTC)", "arrived (UTC)"),
        (
            (
                case.id,
                case.shop,
                names.get((case.shop, case.order_id), case.order_id),
                case.fulfillment_id,
                case.status,
                case.resolution,
                case.closed_by,
                f"{case.since.astimezone(UTC):%Y-%m-%d %H:%M}",
                f"{case.delivered_at.astimezone(UTC):%Y-%m-%d %H:%M}" if case.delivered_at else None,
            )
            for case in found
        ),
    )


@group.command(name="close")
@click.argument("case_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--as", "resolution", required=True, type=click.Choice(CASE_RESOLUTIONS), help="How the case ended.")
@click.option("--by", required=True, help="Who closes the case.")
@click.option("--reason", required=True, help="Why, in a sentence kept with the case.")
def close_command(case_id: int, resolution: str, by: str, reason: str) -> None:
    """Close an open late-delivery case (its id is in `late cases` and on the operator pages) as reshipped,
    refunded, arrived or no_action, recording who and why. Needs only the database."""
    from worker.adapters.late_store import CaseClosed, UnknownCase
    from worker.services.late_deliveries import CaseRefused, close_case

    with services_from_env(settings_from_env(require_secret=False)) as services:
        try:
            closed = close_case(services, case_id, resolution, by, reason)
        except (CaseRefused, CaseClosed, UnknownCase) as error:
            raise InputError(str(error)) from None
    click.echo(f"case {case_id} closed as {closed.resolution} by {closed.closed_by}")

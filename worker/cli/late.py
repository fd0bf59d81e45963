"""`shopworker late`: ask the late-delivery clock about one shipment, as a dry run that writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from config.policies import load_policy
from worker.cli import InputError
from worker.domain.clock import BusinessCalendar, ClockError, classify
from worker.domain.policy import PolicyError


class _Moment(click.ParamType[datetime]):
    """An ISO 8601 date or datetime; the clock reads one without an offset as UTC."""

    name = "ISO-8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not an ISO 8601 date or datetime", param, ctx)


@click.group(name="late")
def group() -> None:
    """Late deliveries: when an undelivered shipment is flagged, then escalated, under its store's rule."""


@group.command()
@click.option("--store", required=True, help="The store's policy name, e.g. starlow.")
@click.option("--shipped-at", required=True, type=_Moment(), help="When the shipment left (ISO 8601; naive is UTC).")
@click.option("--delivered-at", type=_Moment(), help="When it was delivered, if it was; this stops the clock.")
@click.option("--now", type=_Moment(), help="The moment to judge at; defaults to the current time.")
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
    click.echo(json.dumps(report))

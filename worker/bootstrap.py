"""Builds the worker's adapters once per process, lazily; tests install their own with `install`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis

from config.settings import Settings, load_settings
from worker.adapters.db import make_engine
from worker.adapters.records import Records


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    records: Records
    redis: Redis
    now: Callable[[], datetime] = field(default=utc_now)


_services: Services | None = None


def build(settings: Settings) -> Services:
    if not settings.redis_url:
        raise ValueError("REDIS_URL is not set")
    return Services(
        settings=settings,
        records=Records(make_engine(settings.database_url, settings.database_schema)),
        redis=Redis.from_url(settings.redis_url),
    )


def services() -> Services:
    global _services
    if _services is None:
        _services = build(load_settings())
    return _services


def install(replacement: Services | None) -> None:
    """Swap the process's services (tests, or the CLI after it has built them from its own settings)."""
    global _services
    _services = replacement

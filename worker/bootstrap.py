"""Builds the worker's adapters once per process, lazily; tests install their own with `install`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis

from config.settings import Settings, load_settings
from queueing.intake import Intake
from worker.adapters.db import make_engine
from worker.adapters.outbox import Outbox
from worker.adapters.records import Records
from worker.adapters.shopify import ShopifyClient, ShopifyPort

SEND_ACTION_JOB = "worker.jobs.send_action"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    records: Records
    outbox: Outbox
    jobs: Intake
    now: Callable[[], datetime] = field(default=utc_now)
    _shopify: dict[str, ShopifyPort] = field(default_factory=dict)

    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy.Engine
        return self.records.engine

    def shopify_for(self, shop: str) -> ShopifyPort | None:
        """The shop's Admin API, or None when no access token is configured (actions are then dry runs)."""
        token = self.settings.shopify_access_token
        if not token:
            return None
        if shop not in self._shopify:
            self._shopify[shop] = ShopifyClient(
                shop, token, self.settings.shopify_api_version, base_url=self.settings.shopify_admin_url
            )
        return self._shopify[shop]

    def dispatch(self, action_ids: Iterable[int]) -> None:
        """Queue a sender job for each action still pending; called after the transaction that wrote them."""
        for action_id in self.outbox.pending(ids=action_ids):
            self.jobs.enqueue(SEND_ACTION_JOB, {"action_id": action_id}, f"outbox action {action_id}")


_services: Services | None = None


def build(settings: Settings) -> Services:
    if not settings.redis_url:
        raise ValueError("REDIS_URL is not set")
    engine = make_engine(settings.database_url, settings.database_schema)
    return Services(
        settings=settings,
        records=Records(engine),
        outbox=Outbox(engine),
        jobs=Intake(Redis.from_url(settings.redis_url), settings.queue_name, settings.dedup_seconds),
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

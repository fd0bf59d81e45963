"""The worker's one composition root: `build()` makes every store, the queue and the per-shop Shopify clients from
the settings, and anything may be handed in instead (tests hand in a fake shop's client, a fixed clock, their own
engine). Nothing is built at import time; a process builds once, lazily, through `services()`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import Engine

from config.settings import Settings, load_settings
from queueing.intake import Intake
from worker.adapters.db import Database, make_engine
from worker.adapters.held_jobs import HeldJobs
from worker.adapters.late_store import LateStore
from worker.adapters.outbox import Outbox
from worker.adapters.reconcile_store import ReconcileStore
from worker.adapters.records import Records
from worker.adapters.returns_store import ReturnsStore
from worker.adapters.shopify import ShopifyClient, ShopifyPort, TokenSource
from worker.adapters.split_store import SplitStore
from worker.adapters.tokens import ShopCredentials

SEND_ACTION_JOB = "worker.jobs.send_action"

Clock = Callable[[], datetime]
# The Admin API client for a shop, or None where the worker holds no credentials for it (actions are dry runs).
ShopifyFactory = Callable[[str], ShopifyPort | None]


class NoQueue(LookupError):
    """No REDIS_URL: this process can read and write records but cannot queue work."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    db: Database  # the engine, and the one transaction of the job running
    records: Records
    outbox: Outbox
    late: LateStore
    returns: ReturnsStore
    split: SplitStore
    reconcile: ReconcileStore
    queue: Intake | None
    credentials: ShopCredentials | None  # every shop's tokens; None without Redis (renewals lock in Redis)
    shopify_client: ShopifyFactory
    now: Clock = field(default=utc_now)
    _shopify: dict[str, ShopifyPort] = field(default_factory=dict, repr=False)

    @property
    def jobs(self) -> Intake:
        if self.queue is None:
            raise NoQueue("REDIS_URL is not set")
        return self.queue

    @property
    def held_jobs(self) -> HeldJobs:
        """Every job in Redis, whatever its state: what the privacy requests rewrite or delete."""
        return HeldJobs(self.jobs.redis, self.jobs.serializer)

    def shopify_for(self, shop: str) -> ShopifyPort | None:
        """The shop's Admin API, one client per shop per process; None without credentials for the shop (none
        configured, or the app uninstalled)."""
        if self.credentials is not None and not self.credentials.can_act_for(shop):
            self._shopify.pop(shop, None)
            return None
        if shop not in self._shopify:
            client = self.shopify_client(shop)
            if client is None:
                return None
            self._shopify[shop] = client
        return self._shopify[shop]

    def uninstalled(self, shop: str) -> bool:
        """The app was uninstalled from the shop: nothing more is done for it until it is installed again."""
        return self.credentials is not None and self.credentials.uninstalled(shop)

    def dispatch(self, action_ids: Iterable[int]) -> None:
        """Queue a sender job for each action still pending, once the transaction that wrote them has committed
        (a sender must find its action)."""
        ids = list(action_ids)
        if ids:
            self.db.after_commit(lambda: self._send(ids))

    def _send(self, action_ids: list[int]) -> None:
        for action_id in self.outbox.pending(ids=action_ids):
            self.jobs.enqueue(SEND_ACTION_JOB, {"action_id": action_id}, f"outbox action {action_id}")


def shopify_clients(settings: Settings, credentials: ShopCredentials | None) -> ShopifyFactory:
    """Each shop's Admin API client with its own tokens, renewed as they expire. Without Redis (a command run
    without REDIS_URL) only static tokens can be used: nothing can be renewed safely."""

    def client(shop: str) -> ShopifyPort | None:
        if credentials is not None:
            tokens: str | TokenSource = credentials.source(shop)
        else:
            static = settings.shopify_access_tokens.get(shop) or settings.shopify_access_token
            if not static:
                return None
            tokens = static
        return ShopifyClient(shop, tokens, settings.shopify_api_version, base_url=settings.shopify_admin_url)

    return client


def build(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    redis: Redis | None = None,
    shopify: ShopifyFactory | None = None,
    now: Clock | None = None,
) -> Services:
    """Every adapter the worker uses, from the settings unless handed in. The queue needs REDIS_URL (or `redis`);
    without it the records can still be read and written, and asking for the queue says what is missing."""
    settings = settings or load_settings()
    engine = engine or make_engine(settings.database_url, settings.database_schema)
    if redis is None and settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
    # Tokens expire in Shopify's time, whatever clock the use cases are handed. They are written on the engine, not
    # in a job's transaction: a token Shopify has just rotated is kept whatever becomes of the job.
    credentials = ShopCredentials.build(settings, engine, redis) if redis is not None else None
    db = Database(engine)
    return Services(
        settings=settings,
        engine=engine,
        db=db,
        records=Records(db),
        outbox=Outbox(db),
        late=LateStore(db),
        returns=ReturnsStore(db),
        split=SplitStore(db),
        reconcile=ReconcileStore(db),
        queue=Intake(redis, settings.queue_name, settings.dedup_seconds) if redis is not None else None,
        credentials=credentials,
        shopify_client=shopify or shopify_clients(settings, credentials),
        now=now or utc_now,
    )


_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = build()
    return _services


def install(replacement: Services | None) -> None:
    """Swap the process's services (tests, or the CLI after it has built them from its own settings)."""
    global _services
    _services = replacement

"""Reconciliation: Shopify does not promise to deliver every webhook, so each shop's changes are read back from
the Admin API on a schedule, and whatever the records do not reflect is fed to the same jobs a webhook would reach,
logged in the event log with source "reconcile".

A pass lists the orders changed after a checkpoint, oldest change first, a page at a time; only orders,
fulfillments and returns the records lack (or hold at an older version) are read in full. The checkpoint is saved
after each page, so a pass cut short resumes from its last page. Events are queued with the webhook's retry policy;
their ids name the version they carry, so a page read twice queues nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from queueing.keys import MISSING_WEBHOOKS_KEY
from queueing.topics import JOB_FOR_TOPIC
from worker.adapters.reconcile_store import Checkpoint
from worker.adapters.returns_store import SHOPIFY_STATUS_RANK
from worker.adapters.shopify import (
    OrderSummary,
    ShopifyError,
    ShopifyNotFound,
    ShopifyPort,
    legacy_id,
    topic_enum_name,
)
from worker.adapters.tokens import NeedsReinstall
from worker.bootstrap import Services
from worker.domain.events import Event
from worker.services.returns import SHOPIFY_STATUS_OF_TOPIC

log = logging.getLogger(__name__)

RESOURCE = "orders"
SOURCE = "reconcile"
# Shopify retries a failed delivery for up to 48 hours: a first pass looks back that far.
FIRST_LOOKBACK = timedelta(days=2)
# Shopify's search index trails its writes by a little: each pass starts a few minutes before the last change seen.
OVERLAP = timedelta(minutes=5)
MISSING_WEBHOOKS_TTL = 3600  # a warning outlives a few runs, not a reconciliation that stopped
# Mandatory compliance topics are set in the app's configuration, never as API subscriptions.
CONFIGURED_WITH_THE_APP = frozenset({"customers/data_request", "customers/redact", "shop/redact"})
TOPIC_OF_RETURN_STATUS = {status: topic for topic, status in SHOPIFY_STATUS_OF_TOPIC.items()}

Progress = Callable[[int], None]


class NoCredentials(LookupError):
    """No SHOPIFY_ACCESS_TOKEN: there is no Admin API to read back from."""


@dataclass(frozen=True)
class Pass:
    """One walk over a shop's changes after `since`; `cursor` is where a pass cut short resumes."""

    shop: str
    since: datetime
    cursor: str | None = None
    seen_until: datetime | None = None

    @property
    def resumed(self) -> bool:
        return self.cursor is not None


@dataclass
class Report:
    shop: str
    since: datetime
    resumed: bool
    orders_listed: int = 0
    queued: Counter[str] = field(default_factory=Counter)  # topic -> events queued

    def describe(self) -> str:
        fed = ", ".join(f"{count} {topic}" for topic, count in sorted(self.queued.items())) or "nothing to queue"
        start = "resumed a pass" if self.resumed else "changes"
        return f"{self.shop}: {start} since {self.since.isoformat()}: {self.orders_listed} orders listed, {fed}"


def shops_to_reconcile(ctx: Services, only: str | None = None) -> list[str]:
    """The shops we hold (or are configured to get) credentials for, installed, or the one asked for."""
    if only:
        return [only]
    if ctx.credentials is None:
        return sorted(ctx.settings.shop_policies)
    return [shop for shop in ctx.credentials.shops() if ctx.credentials.can_act_for(shop)]


def shopify_of(ctx: Services, shop: str) -> ShopifyPort:
    shopify = ctx.shopify_for(shop)
    if shopify is None:
        raise NoCredentials(f"{shop}: no credentials (or the app was uninstalled): reconciliation reads the Admin API")
    return shopify


def reconcile_all(ctx: Services) -> int:
    """The periodic run: every shop with credentials, one after the other; a shop Shopify fails on does not keep
    the others from their turn, and fails the run afterwards so it is seen (a shop waiting for a reinstall is only
    logged: /readyz already says so). Returns the number of events queued."""
    queued, failed = 0, []
    shops = [shop for shop in shops_to_reconcile(ctx) if ctx.shopify_for(shop) is not None]
    if not shops:
        log.info("no shop has credentials: reconciliation has nothing to read and does nothing")
    for shop in shops:
        try:
            check_subscriptions(ctx, shop)
            report = reconcile_shop(ctx, shop)
        except NeedsReinstall as waiting:
            log.warning("reconciliation waits: %s", waiting, extra={"shop": shop})
            continue
        except ShopifyError as error:
            log.warning("reconciliation stopped: %s", error, extra={"shop": shop})
            failed.append(shop)
            continue
        log.info(report.describe(), extra={"shop": shop})
        queued += sum(report.queued.values())
    if failed:
        raise ShopifyError(f"reconciliation stopped for {', '.join(failed)}; the next run resumes where it stopped")
    return queued


def reconcile_shop(ctx: Services, shop: str, since: datetime | None = None, progress: Progress | None = None) -> Report:
    return run_pass(ctx, start_pass(ctx, shop, since), progress)


def start_pass(ctx: Services, shop: str, since: datetime | None = None) -> Pass:
    """A pass from `since` when given; otherwise the saved pass resumed, or the next one after it."""
    if since is not None:
        return Pass(shop, since)
    saved = ctx.reconcile.checkpoint(shop, RESOURCE)
    if saved is None:
        return Pass(shop, ctx.now() - FIRST_LOOKBACK)
    return Pass(shop, saved.since, saved.cursor, saved.seen_until)


def run_pass(ctx: Services, current: Pass, progress: Progress | None = None) -> Report:
    shopify, store = shopify_of(ctx, current.shop), ctx.reconcile
    report = Report(current.shop, current.since, current.resumed)
    while True:
        orders, next_cursor = shopify.orders_updated_since(current.since, current.cursor)
        report.queued += feed_page(ctx, shopify, current.shop, orders)
        report.orders_listed += len(orders)
        seen = [order.updated_at for order in orders] + ([current.seen_until] if current.seen_until else [])
        current = Pass(current.shop, current.since, next_cursor, max(seen, default=None))
        store.save(_checkpoint(current), ctx.now())
        if progress:
            progress(len(orders))
        if next_cursor is None:
            return report


def _checkpoint(current: Pass) -> Checkpoint:
    """Mid-pass: the pass as it stands. At its end: the next pass, starting a little before the last change seen."""
    if current.cursor is not None:
        return Checkpoint(current.shop, RESOURCE, current.since, current.cursor, current.seen_until)
    since = current.since
    if current.seen_until is not None:
        since = max(since, current.seen_until - OVERLAP)
    return Checkpoint(current.shop, RESOURCE, since)


def feed_page(ctx: Services, shopify: ShopifyPort, shop: str, orders: list[OrderSummary]) -> Counter[str]:
    """Queue an event for each order, fulfillment and return of the page that the records do not reflect."""
    store, queued = ctx.reconcile, Counter[str]()
    held_orders = store.order_versions(shop, [legacy_id(o.id) for o in orders])
    held_fulfillments = store.fulfillment_versions(shop, [legacy_id(f.id) for o in orders for f in o.fulfillments])
    held_returns = store.return_statuses(shop, [legacy_id(r.id) for o in orders for r in o.returns])
    for order in orders:
        order_id = legacy_id(order.id)
        if _older(held_orders.get(order_id), order.updated_at):
            payload = _read(shopify.fetch_order, order.id)
            if payload is not None:
                # An order we never held missed its orders/create, which is what plans its split.
                topic = "orders/updated" if order_id in held_orders else "orders/create"
                queued += _feed(ctx, shop, topic, f"{order_id}:{payload['updated_at']}", payload)
        for fulfillment in order.fulfillments:
            fulfillment_id = legacy_id(fulfillment.id)
            if _older(held_fulfillments.get(fulfillment_id), fulfillment.updated_at):
                payload = _read(shopify.fetch_fulfillment, fulfillment.id)
                if payload is not None:
                    event_id = f"{fulfillment_id}:{payload['updated_at']}"
                    queued += _feed(ctx, shop, "fulfillments/update", event_id, payload)
        for found in order.returns:
            return_id = legacy_id(found.id)
            topic = _return_topic(held_returns, return_id, found.status)
            if topic is not None:
                payload = {
                    "id": return_id,
                    "admin_graphql_api_id": found.id,
                    "status": found.status,
                    "order": {"id": order_id, "admin_graphql_api_id": order.id},
                }
                # A return reopens as often as it closes: each reopen is told apart by the order's version.
                event_id = f"{return_id}:{found.status}"
                if topic == "returns/reopen":
                    event_id = f"{return_id}:reopened:{order.updated_at.isoformat()}"
                queued += _feed(ctx, shop, topic, event_id, payload)
    return queued


def _older(held: datetime | None, current: datetime) -> bool:
    return held is None or held < current


def _read(fetch: Callable[[str], dict[str, Any]], gid: str) -> dict[str, Any] | None:
    """None for an object deleted between the listing and the read: there is nothing left to reflect."""
    try:
        return fetch(gid)
    except ShopifyNotFound:
        return None


def _return_topic(held: dict[int, str | None], return_id: int, status: str) -> str | None:
    """returns/request for a return we have no record of; the topic of Shopify's status when ours is behind;
    returns/reopen for a return we hold as closed that Shopify has open again."""
    if return_id not in held:
        return "returns/request"
    if held[return_id] == "closed" and status == "open":
        return "returns/reopen"
    if SHOPIFY_STATUS_RANK.get(status, 0) > SHOPIFY_STATUS_RANK.get(held[return_id] or "", 0):
        return TOPIC_OF_RETURN_STATUS.get(status)
    return None


def _feed(ctx: Services, shop: str, topic: str, version: str, payload: dict[str, Any]) -> Counter[str]:
    """Queue the event for the topic's job, once per version of the object it carries."""
    event = Event(shop, topic, f"{SOURCE}:{version}", payload, ctx.now(), source=SOURCE)
    digest = hashlib.sha256(f"{shop}\n{topic}\n{event.event_id}".encode()).hexdigest()[:32]
    description = f"{topic} {shop} {event.event_id}"
    queued = ctx.jobs.enqueue(JOB_FOR_TOPIC[topic], event.to_envelope(), description, job_id=f"reconcile-{digest}")
    return Counter({topic: 1} if queued else {})


# Webhook subscriptions ----------------------------------------------------------------------------------------


def needed_topics() -> list[str]:
    return [topic for topic in JOB_FOR_TOPIC if topic not in CONFIGURED_WITH_THE_APP]


def missing_topics(subscribed: Iterable[str]) -> list[str]:
    """The topics we act on that Shopify lists no subscription for (it names them ORDERS_CREATE and so on)."""
    names = set(subscribed)
    return [topic for topic in needed_topics() if topic_enum_name(topic) not in names]


def check_subscriptions(ctx: Services, shop: str) -> list[str]:
    """Record the shop's missing subscriptions where /readyz reads them; none missing clears the shop's entry."""
    missing = missing_topics(shopify_of(ctx, shop).fetch_webhook_subscriptions())
    redis = ctx.jobs.redis
    with redis.pipeline() as pipe:
        if missing:
            pipe.hset(MISSING_WEBHOOKS_KEY, shop, json.dumps(missing))
        else:
            pipe.hdel(MISSING_WEBHOOKS_KEY, shop)
        pipe.expire(MISSING_WEBHOOKS_KEY, MISSING_WEBHOOKS_TTL)
        pipe.execute()
    if missing:
        log.warning("no webhook subscription for %s", ", ".join(missing), extra={"shop": shop})
    return missing

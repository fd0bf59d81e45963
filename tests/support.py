"""Helpers for tests that deliver webhooks the way Shopify does."""

from __future__ import annotations

import contextlib
import json
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import Table, select

from config.settings import Settings
from queueing.serializer import JobSerializer
from tests.fakeshopify.server import RunningFakeShop
from webhooks.verify import sign
from worker import bootstrap
from worker.adapters import tables
from worker.adapters.shopify import ShopifyClient
from worker.rq_worker import HeartbeatWorker

SAMPLES = Path(__file__).parent / "fixtures" / "shopify_samples"
FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
SHOP = "little-twinkle-stars.myshopify.com"
TEST_SECRET = "test-secret"


def shopify_samples(shop: str = SHOP) -> list[tuple[str, bytes]]:
    """(topic, body) for each of Shopify's published sample payloads (a copy of shared/shopify-samples), the
    privacy topics' `{shop}.myshopify.com` made the shop they are delivered for."""
    return [
        (path.stem.replace("__", "/"), path.read_bytes().replace(b"{shop}.myshopify.com", shop.encode()))
        for path in sorted(SAMPLES.glob("*.json"))
    ]


DEPARTED = "departed.myshopify.com"


def sample_deliveries() -> list[tuple[str, str, bytes]]:
    """(topic, shop, body) for every sample, `shop/redact` for another shop so that SHOP's records remain."""
    departed = dict(shopify_samples(DEPARTED))
    return [
        (topic, DEPARTED, departed[topic]) if topic == "shop/redact" else (topic, SHOP, body)
        for topic, body in shopify_samples()
    ]


def fixture_deliveries() -> list[tuple[str, str, bytes]]:
    """(topic, case, body) for every fixture under fixtures/webhooks/<topic>/<case>.json, in a stable order."""
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        topic = path.parent.relative_to(FIXTURES).as_posix()
        found.append((topic, path.stem, path.read_bytes()))
    return found


def headers_for(body: bytes, topic: str, secret: str, shop: str = SHOP, event_id: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Hmac-Sha256": sign(body, secret),
        "X-Shopify-API-Version": "2026-04",
        "X-Shopify-Triggered-At": "2026-03-01T12:00:00Z",
    }
    if event_id:
        headers["X-Shopify-Event-Id"] = event_id
    return headers


def fake_shop_clients(
    shop: RunningFakeShop, sleep: Callable[[float], None] = lambda _seconds: None, max_attempts: int = 3
) -> bootstrap.ShopifyFactory:
    """Admin API clients that talk to the fake shop, whatever shop they are for: `bootstrap.build(shopify=...)`."""
    return lambda domain: ShopifyClient(
        domain, shop.access_token, shop.api_version, base_url=shop.base_url, sleep=sleep, max_attempts=max_attempts
    )


def rebuilt(services: bootstrap.Services, settings: Settings | None = None, **overrides: Any) -> bootstrap.Services:
    """The services built again by the composition root with some parts handed in, on the same database and
    Redis, and installed for the jobs the test runs."""
    built = bootstrap.build(
        settings or services.settings, engine=services.engine, redis=services.jobs.redis, **overrides
    )
    bootstrap.install(built)
    return built


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


@dataclass
class Stack:
    """The receiver (Flask test client), the real Redis queue, an in-process RQ worker and the records."""

    client: object
    services: bootstrap.Services
    redis: Redis

    def connect(self, shop: RunningFakeShop, settings: Settings | None = None, **overrides: Any) -> None:
        """From now on the stack holds credentials for the fake shop, and its Admin API is the fake's."""
        settings = replace(settings or self.services.settings, shopify_access_token=shop.access_token)
        self.rebuild(settings, shopify=overrides.pop("shopify", None) or fake_shop_clients(shop), **overrides)

    def rebuild(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.services = rebuilt(self.services, settings, **overrides)

    def deliver(self, topic: str, body: bytes, event_id: str, shop: str = SHOP) -> str:
        response = self.client.post(
            "/webhooks", data=body, headers=headers_for(body, topic, TEST_SECRET, shop, event_id)
        )
        assert response.status_code == 200, response.json
        return response.json["status"]

    def work(self) -> None:
        queue = Queue("shopworker", connection=self.redis, serializer=JobSerializer)
        HeartbeatWorker([queue], connection=self.redis, serializer=JobSerializer).work(burst=True)

    def failed_jobs(self) -> list[str]:
        return FailedJobRegistry("shopworker", connection=self.redis).get_job_ids()

    def rows(self, table: Table) -> list[dict]:
        with self.services.records.db.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(select(table))]

    def snapshot(self) -> dict:
        """The business records, free of when and how often things were processed."""
        return {
            t.name: sorted(json.dumps(row, default=str, sort_keys=True) for row in self.rows(t))
            for t in (tables.orders, tables.line_items, tables.fulfillments)
        }


def automate(
    tmp_path: Path, monkeypatch: Any, store: str, approve: bool = False, decline: bool = False, refund: bool = False
) -> None:
    """Turns a store's `[automation]` on in a copy of its policy file, as the merchant would edit it."""
    from config import policies

    folder = tmp_path / "policies"
    shutil.copytree(policies.POLICY_DIR, folder, dirs_exist_ok=True)
    path = folder / f"{store}.toml"
    text = path.read_text()
    for key, on in (("auto_approve", approve), ("auto_decline", decline), ("auto_refund", refund)):
        text = text.replace(f"{key} = false", f"{key} = {str(on).lower()}")
    path.write_text(text)
    monkeypatch.setattr(policies, "POLICY_DIR", folder)
    policies.load_policy.cache_clear()


def values_of(redis: Redis, key: bytes) -> list[bytes]:
    kind = redis.type(key).decode()
    if kind == "string":
        return [redis.get(key)]
    if kind == "hash":
        return [value for pair in redis.hgetall(key).items() for value in pair]
    if kind == "list":
        return redis.lrange(key, 0, -1)
    if kind == "set":
        return list(redis.smembers(key))
    if kind == "zset":
        return redis.zrange(key, 0, -1)
    assert kind == "stream", kind
    return [value for _id, entry in redis.xrange(key) for pair in entry.items() for value in pair]


def readable(raw: bytes) -> str:
    """A value as RQ or the job serializer wrote it: zlib, then zstd-compressed JSON, as far as each applies."""
    for unpack in (zlib.decompress, lambda data: orjson.dumps(JobSerializer.loads(data))):
        with contextlib.suppress(Exception):
            raw = unpack(raw)
    return raw.decode(errors="replace")


def key_text(redis: Redis, key: bytes) -> str:
    """The key and every value in it, decompressed and decoded."""
    return " ".join([key.decode(), *(readable(value) for value in values_of(redis, key))])


def redis_text(redis: Redis) -> str:
    """Every key of the test's Redis database and every value in it, decompressed and decoded."""
    return "\n".join(key_text(redis, key) for key in redis.scan_iter())

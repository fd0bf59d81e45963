"""GET /metrics in Prometheus's text format: the receiver's own counters, and the worker's figures read from Redis.

The receiver counts in process memory (prometheus-client; its multiprocess mode under gunicorn when
PROMETHEUS_MULTIPROC_DIR is set), so a webhook costs no extra Redis round trip. Workers run elsewhere and share no
disk, so they leave their figures in Redis under the keys in queueing/keys.py, and a scrape reads them there.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.utils import utcparse

from queueing.keys import FIELD_SEPARATOR, FIGURES_KEY, JOB_OUTCOMES_KEY

MAX_SHOP_LABELS = 200  # distinct shops named in the verification-failure counter per process; the rest are "other"

receiver_registry = CollectorRegistry(auto_describe=True)
WEBHOOKS = Counter(
    "shopworker_webhooks",
    "Webhook deliveries answered, by topic and outcome (queued, duplicate, ignored, rejected_<status>).",
    ["topic", "outcome"],
    registry=receiver_registry,
)
ACK_SECONDS = Histogram(
    "shopworker_webhook_ack_seconds",
    "Time from receiving a webhook request to answering it.",
    ["outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=receiver_registry,
)
VERIFICATION_FAILURES = Counter(
    "shopworker_webhook_verification_failures",
    "Deliveries whose HMAC did not verify, by the shop they claimed to come from.",
    ["shop"],
    registry=receiver_registry,
)
_recent_failures: dict[str, tuple[int, int]] = {}  # shop -> (minute, failures in it)


def observe_webhook(topic: str, outcome: str, seconds: float) -> None:
    WEBHOOKS.labels(topic, outcome).inc()
    ACK_SECONDS.labels(outcome).observe(seconds)


def count_verification_failure(shop: str, now: float) -> int:
    """Count a delivery that failed verification; returns how many this shop had in the current minute, so the
    caller logs the first of each minute rather than every one of a flood. A forger picks the shop header freely,
    so the distinct shops named are capped."""
    if shop not in _recent_failures and len(_recent_failures) >= MAX_SHOP_LABELS:
        shop = "other"
    VERIFICATION_FAILURES.labels(shop).inc()
    minute, count = _recent_failures.get(shop, (0, 0))
    count = count + 1 if minute == int(now // 60) else 1
    _recent_failures[shop] = (int(now // 60), count)
    return count


class WorkerFigures(Collector):
    """Reads what the workers left in Redis, plus the queue's depth and oldest job, at scrape time."""

    def __init__(self, redis: Redis, queue: Queue) -> None:
        self.redis = redis
        self.queue = queue

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("shopworker_redis_up", "Whether Redis answered this scrape.")
        try:
            yield from self._from_redis()
        except RedisError:
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
        yield up

    def _from_redis(self) -> Iterator[Any]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(JOB_OUTCOMES_KEY)
        pipe.get(FIGURES_KEY)
        pipe.llen(self.queue.key)
        pipe.lindex(self.queue.key, 0)
        pipe.zcard(self.queue.failed_job_registry.key)
        pipe.zcard(self.queue.scheduled_job_registry.key)
        outcomes, figures, depth, oldest_id, failed, scheduled = pipe.execute()
        oldest_enqueued = None
        if oldest_id:
            oldest_enqueued = self.redis.hget(self.queue.job_class.key_for(oldest_id.decode()), "enqueued_at")
        now = time.time()

        jobs = CounterMetricFamily(
            "shopworker_jobs", "Jobs run by the workers, by handler and outcome.", labels=["handler", "outcome"]
        )
        for field, count in sorted(outcomes.items()):
            handler, _, outcome = field.decode().partition(FIELD_SEPARATOR)
            jobs.add_metric([handler, outcome], int(count))
        yield jobs
        yield _gauge("shopworker_queue_depth", "Jobs waiting in the queue.", depth)
        age = now - _timestamp(oldest_enqueued) if oldest_enqueued else 0
        yield _gauge("shopworker_queue_oldest_job_age_seconds", "How long the next job has waited.", max(age, 0))
        yield _gauge("shopworker_failed_jobs", "Jobs in RQ's failed registry (kept 14 days).", failed)
        yield _gauge("shopworker_scheduled_jobs", "Jobs scheduled for later (retries, checks, sweeps).", scheduled)
        if figures:
            yield from _database_figures(json.loads(figures), now)


def _timestamp(raw: bytes) -> float:
    return utcparse(raw.decode()).timestamp()


def _gauge(name: str, documentation: str, value: float, labels: dict[str, str] | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


def _database_figures(figures: dict[str, Any], now: float) -> Iterator[GaugeMetricFamily]:
    """The periodic job's figures (see worker/metrics.py for their shape); ages are computed at scrape time."""
    yield _gauge(
        "shopworker_figures_age_seconds",
        "Since the worker last computed the database figures.",
        max(now - figures["computed_at"], 0),
    )
    yield _gauge(
        "shopworker_outbox_pending_actions", "Outbox actions not yet performed in Shopify.", figures["outbox_pending"]
    )
    oldest = figures["outbox_oldest_pending_at"]
    yield _gauge(
        "shopworker_outbox_oldest_pending_age_seconds",
        "How long the oldest pending action has waited.",
        max(now - oldest, 0) if oldest else 0,
    )
    late = GaugeMetricFamily(
        "shopworker_late_shipments", "Open late-delivery flags and cases, by state.", labels=["record", "state"]
    )
    for row in figures["late_shipments"]:
        late.add_metric([row["record"], row["state"]], row["count"])
    yield late
    decisions = GaugeMetricFamily(
        "shopworker_return_decisions", "Return records, by shop and decision.", labels=["shop", "decision"]
    )
    for row in figures["return_decisions"]:
        decisions.add_metric([row["shop"], row["decision"]], row["count"])
    yield decisions


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    settings = current_app.config["SHOPWORKER_SETTINGS"]
    if settings.metrics_token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), settings.metrics_token.encode()):
            return Response("metrics need Authorization: Bearer <METRICS_TOKEN>\n", 401, mimetype="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    if settings.prometheus_multiproc_dir:
        MultiProcessCollector(registry, settings.prometheus_multiproc_dir)
    else:
        registry.register(_Registered(receiver_registry))
    intake = current_app.extensions["shopworker_intake"]
    registry.register(WorkerFigures(intake.redis, intake.queue))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


class _Registered(Collector):
    """The receiver's in-process metrics, as one collector of a scrape's registry."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        return self.source.collect()

"""GET /metrics: what an operator's Prometheus sees of the receiver, the queue, the jobs and the records."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from sqlalchemy import insert

from config.settings import Settings
from queueing.keys import FIGURES_KEY
from queueing.topics import JOB_FOR_TOPIC
from tests.conftest import SECRET
from tests.support import SHOP, body_of, headers_for
from webhooks import create_app
from worker import jobs, periodic
from worker.adapters.outbox import add_actions
from worker.adapters.tables.late import late_flags
from worker.adapters.tables.returns import returns
from worker.domain.actions import PlannedAction
from worker.domain.events import Event

ORDER = body_of({"id": 1001, "name": "#1001", "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def scrape(client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_each_answer_is_counted_by_topic_and_outcome(redis_url):
    """The receiver alone (no worker, no database): this is the test of how its answers are labelled."""
    client = create_app(Settings(api_secrets=(SECRET,), redis_url=redis_url)).test_client()
    before = scrape(client)
    for topic, event_id in (("orders/create", "evt-1"), ("orders/create", "evt-1"), ("products/update", "evt-2")):
        client.post("/webhooks", data=ORDER, headers=headers_for(ORDER, topic, SECRET, event_id=event_id))
    client.post("/webhooks", data=b"{}", headers={"X-Shopify-Topic": "orders/create"})
    signed_junk = headers_for(b"not json", "orders/paid", SECRET, event_id="evt-3")
    client.post("/webhooks", data=b"not json", headers=signed_junk)
    after = scrape(client)

    def delta(topic: str, outcome: str) -> float:
        labels = {"topic": topic, "outcome": outcome}
        return value(after, "shopworker_webhooks_total", **labels) - value(
            before, "shopworker_webhooks_total", **labels
        )

    assert delta("orders/create", "queued") == 1
    assert delta("orders/create", "duplicate") == 1
    assert delta("products/update", "ignored") == 1
    assert delta("unverified", "rejected_401") == 1
    assert delta("orders/paid", "rejected_400") == 1
    answered = value(after, "shopworker_webhook_ack_seconds_count", outcome="queued")
    assert answered - value(before, "shopworker_webhook_ack_seconds_count", outcome="queued") == 1


def test_a_flood_of_forged_deliveries_is_counted_per_shop_and_logged_once_a_minute(stack, caplog):
    forged = {**headers_for(ORDER, "orders/create", "not-the-secret"), "X-Shopify-Shop-Domain": "forged.myshopify.com"}
    before = scrape(stack.client)
    with caplog.at_level(logging.WARNING, logger="webhooks.receiver"):
        for _ in range(5):
            assert stack.client.post("/webhooks", data=ORDER, headers=forged).status_code == 401
    after = scrape(stack.client)
    name, shop = "shopworker_webhook_verification_failures_total", "forged.myshopify.com"
    assert value(after, name, shop=shop) - value(before, name, shop=shop) == 5
    logged = [r for r in caplog.records if "HMAC" in r.getMessage() and getattr(r, "shop", None) == shop]
    assert len(logged) <= 1
    assert not any(forged["X-Shopify-Hmac-Sha256"] in r.getMessage() for r in caplog.records)


def test_queue_depth_and_the_oldest_jobs_age_are_read_live(stack):
    stack.deliver("orders/create", ORDER, "evt-1")
    stack.deliver("orders/paid", ORDER, "evt-2")
    waiting = scrape(stack.client)
    assert value(waiting, "shopworker_queue_depth") == 2
    assert 0 <= value(waiting, "shopworker_queue_oldest_job_age_seconds") < 60
    stack.work()
    drained = scrape(stack.client)
    assert value(drained, "shopworker_queue_depth") == 0
    assert value(drained, "shopworker_queue_oldest_job_age_seconds") == 0
    assert value(drained, "shopworker_redis_up") == 1


def test_job_outcomes_counted_by_the_workers_reach_the_web_process(stack):
    stack.deliver("orders/create", ORDER, "evt-1")
    stack.deliver("orders/updated", ORDER, "evt-2")
    stack.work()
    samples = scrape(stack.client)
    assert value(samples, "shopworker_jobs_total", handler="orders", outcome="processed") == 2


def test_a_failing_job_is_counted_as_failed_on_each_attempt(stack):
    """A job queued before the receiver checked topic shapes (or a replay of one) still meets its handler."""
    order = {"id": 1, "updated_at": "2026-03-01T12:00:00Z", "line_items": [{"title": "no id"}]}
    broken = Event(SHOP, "orders/create", "evt-1", order, stack.services.now())
    stack.services.jobs.enqueue(JOB_FOR_TOPIC[broken.topic], broken.to_envelope(), "broken")
    stack.work()
    samples = scrape(stack.client)
    assert value(samples, "shopworker_jobs_total", handler="orders", outcome="failed") == 1
    assert value(samples, "shopworker_scheduled_jobs") == 1  # its retry


def test_the_database_figures_are_published_by_a_periodic_job_and_shown_with_their_age(stack):
    services = stack.services
    now = services.now()
    with services.engine.begin() as connection:
        tags = [PlannedAction(SHOP, "add_tags", f"gid://shopify/Order/{n}", {"tags": ["x"]}, f"k{n}") for n in (1, 2)]
        add_actions(connection, tags[:1], now - timedelta(hours=2))
        add_actions(connection, tags[1:], now)
        connection.execute(insert(late_flags), [late_flag(7101), late_flag(7102)])
        connection.execute(insert(returns), [return_row(1, "approved"), return_row(2, "approved"), return_row(3, None)])
    assert value(scrape(stack.client), "shopworker_outbox_pending_actions") == 0  # nothing published yet

    jobs.publish_metrics()
    samples = scrape(stack.client)
    assert value(samples, "shopworker_outbox_pending_actions") == 2
    assert 2 * 3600 <= value(samples, "shopworker_outbox_oldest_pending_age_seconds") < 2 * 3600 + 60
    assert value(samples, "shopworker_late_shipments", record="flag", state="late") == 2
    assert value(samples, "shopworker_return_decisions", shop=SHOP, decision="approved") == 2
    assert value(samples, "shopworker_return_decisions", shop=SHOP, decision="undecided") == 1
    assert value(samples, "shopworker_figures_age_seconds") < 60


def test_the_figures_job_runs_every_minute(stack):
    periodic.seed(stack.services.jobs, stack.services.now())
    assert periodic.SCHEDULE["publish-metrics"] == ("publish_metrics", 60)
    scheduled = stack.services.jobs.queue.scheduled_job_registry.get_job_ids()
    assert any(job_id.startswith("periodic-publish-metrics-") for job_id in scheduled)


def late_flag(fulfillment_id: int) -> dict:
    return {
        "shop": SHOP,
        "order_id": 5001,
        "fulfillment_id": fulfillment_id,
        "state": "late",
        "reason": "past 21 business days",
        "status": "open",
        "flagged_at": NOW,
        "elapsed_days": 22,
        "threshold": 21,
        "day_kind": "business",
        "calendar": "US",
        "calendar_version": "holidays 0.109",
    }


def return_row(return_id: int, decision: str | None) -> dict:
    return {
        "shop": SHOP,
        "return_id": return_id,
        "status": "decided" if decision else "awaiting_review",
        "decision": decision,
        "overrides": [],
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_a_scrape_while_redis_is_down_still_answers_and_says_so(settings):
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    samples = scrape(create_app(settings, redis=down).test_client())
    assert value(samples, "shopworker_redis_up") == 0
    assert ("shopworker_webhooks_total", ()) not in samples


def test_with_a_metrics_token_a_scrape_must_present_it(settings):
    client = create_app(replace(settings, metrics_token="scrape-token-123")).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert value(scrape(client, Authorization="Bearer scrape-token-123"), "shopworker_redis_up") == 1


POSTER = """
import sys
from config.settings import Settings
from tests.support import body_of, headers_for
from webhooks import create_app
client = create_app(Settings(api_secrets=("s3cret",), redis_url=sys.argv[1], prometheus_multiproc_dir=sys.argv[2]))
client = client.test_client()
for n in range(int(sys.argv[3])):
    body = body_of({"id": n + 1, "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})
    headers = headers_for(body, "orders/paid", "s3cret", event_id=sys.argv[4] + str(n))
    client.post("/webhooks", data=body, headers=headers)
if len(sys.argv) > 5:
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_under_several_web_processes_a_scrape_adds_up_what_each_counted(redis_url, tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def run(*args: str) -> str:
        command = [sys.executable, "-c", POSTER, redis_url, str(tmp_path), *args]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout

    run("3", "a")
    run("4", "b")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(run("0", "c", "scrape"))
        for s in family.samples
    }
    assert value(samples, "shopworker_webhooks_total", topic="orders/paid", outcome="queued") == 7


def test_the_figures_are_one_small_json_document_in_redis(stack):
    jobs.publish_metrics()
    figures = json.loads(stack.redis.get(FIGURES_KEY))
    assert set(figures) == {
        "computed_at",
        "outbox_pending",
        "outbox_oldest_pending_at",
        "late_shipments",
        "return_decisions",
    }

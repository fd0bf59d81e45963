"""POST /webhooks against a real Redis: what Shopify sees, and what lands in the queue."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job

from config.settings import Settings
from queueing.serializer import JobSerializer
from queueing.topics import JOB_FOR_TOPIC
from tests.conftest import SECRET
from tests.support import SHOP, body_of, headers_for, shopify_samples
from webhooks import create_app

ORDER = body_of({"id": 1001, "name": "#1001", "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})


@pytest.fixture
def web_settings(redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        api_secrets=(SECRET, "old-secret"),
        redis_url=redis_url,
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        max_body_bytes=64 * 1024,
    )


@pytest.fixture
def client(web_settings: Settings):
    return create_app(web_settings).test_client()


def queued_jobs(redis: Redis) -> list:
    return Queue("shopworker", connection=redis, serializer=JobSerializer).get_jobs()


def post(client, body: bytes, topic: str = "orders/create", secret: str = SECRET, **kw):
    return client.post("/webhooks", data=body, headers=headers_for(body, topic, secret, **kw))


@pytest.mark.parametrize(("topic", "body"), shopify_samples(), ids=[t for t, _ in shopify_samples()])
def test_every_shopify_sample_payload_is_taken(client, redis, topic, body):
    response = post(client, body, topic, event_id=f"sample-{topic}")
    expected = "queued" if topic in JOB_FOR_TOPIC else "ignored"
    assert response.status_code == 200
    assert response.json == {"status": expected}
    assert len(queued_jobs(redis)) == (1 if expected == "queued" else 0)


def test_a_webhook_job_is_the_job_rq_itself_would_write_for_the_same_call(client, redis):
    """The receiver fills in a template of RQ's enqueue commands; RQ enqueueing the same call must leave the same
    job hash, apart from the id, the times, zlib (RQ reads data that is not zlib as it is) and the fields RQ writes
    empty (it reads a missing field as an empty one), and RQ must read both jobs alike."""
    post(client, ORDER, event_id="evt-1")
    (ours,) = queued_jobs(redis)
    intake = client.application.extensions["shopworker_intake"]
    theirs = intake.queue.enqueue_job(intake._job(ours.func_name, ours.args[0], ours.description))

    def stored(job_id: str) -> dict[bytes, bytes]:
        fields = redis.hgetall(f"rq:job:{job_id}")
        fields[b"data"] = JobSerializer.loads(
            zlib.decompress(fields[b"data"]) if job_id == theirs.id else fields[b"data"]
        )
        return {name: value for name, value in fields.items() if name not in {b"created_at", b"enqueued_at"} and value}

    def read_by_rq(job_id: str) -> dict:
        as_read = Job.fetch(job_id, connection=redis, serializer=JobSerializer).to_dict()
        return {name: value for name, value in as_read.items() if name not in {"created_at", "enqueued_at", "data"}}

    assert stored(ours.id) == stored(theirs.id)
    assert read_by_rq(ours.id) == read_by_rq(theirs.id)
    assert queued_jobs(redis)[0].id == ours.id and redis.lrange("rq:queue:shopworker", 0, -1) == [
        ours.id.encode(),
        theirs.id.encode(),
    ]


def test_a_queued_job_carries_the_delivery_for_its_handler(client, redis):
    post(client, ORDER, event_id="evt-1")
    (job,) = queued_jobs(redis)
    envelope = job.args[0]
    assert job.func_name == JOB_FOR_TOPIC["orders/create"]
    assert (envelope["shop"], envelope["topic"], envelope["event_id"]) == (SHOP, "orders/create", "evt-1")
    assert envelope["payload"]["id"] == 1001
    assert envelope["triggered_at"] == "2026-03-01T12:00:00+00:00"


def test_a_second_delivery_of_the_same_event_is_answered_duplicate_and_not_queued(client, redis):
    assert post(client, ORDER, event_id="evt-1").json == {"status": "queued"}
    assert post(client, ORDER, event_id="evt-1").json == {"status": "duplicate"}
    assert post(client, ORDER, event_id="evt-2").json == {"status": "queued"}
    assert len(queued_jobs(redis)) == 2


def test_one_event_id_under_two_topics_is_two_deliveries_each_taken_once(client, redis):
    for topic in ("orders/create", "orders/updated"):
        assert post(client, ORDER, topic, event_id="evt-1").json == {"status": "queued"}
    for topic in ("orders/create", "orders/updated"):
        assert post(client, ORDER, topic, event_id="evt-1").json == {"status": "duplicate"}
    assert sorted(job.func_name for job in queued_jobs(redis)) == sorted(
        [JOB_FOR_TOPIC["orders/create"], JOB_FOR_TOPIC["orders/updated"]]
    )


def test_one_event_id_from_two_shops_is_two_deliveries_each_taken_once(client, redis):
    shops = ("little-twinkle-stars.myshopify.com", "starlow.myshopify.com")
    for shop in shops:
        assert post(client, ORDER, event_id="evt-1", shop=shop).json == {"status": "queued"}
    for shop in shops:
        assert post(client, ORDER, event_id="evt-1", shop=shop).json == {"status": "duplicate"}
    assert sorted(job.args[0]["shop"] for job in queued_jobs(redis)) == list(shops)


def test_without_an_event_id_the_webhook_id_identifies_the_delivery(client, redis):
    headers = headers_for(ORDER, "orders/create", SECRET)
    headers["X-Shopify-Webhook-Id"] = "wh-9"
    assert client.post("/webhooks", data=ORDER, headers=headers).json == {"status": "queued"}
    assert client.post("/webhooks", data=ORDER, headers=headers).json == {"status": "duplicate"}


def test_one_event_delivered_under_two_webhook_ids_is_taken_once(client, redis):
    """Two subscriptions to one topic bring the same event under two webhook ids: Shopify's event id decides."""
    for webhook_id in ("wh-1", "wh-2"):
        headers = headers_for(ORDER, "orders/create", SECRET, event_id="evt-1")
        headers["X-Shopify-Webhook-Id"] = webhook_id
        answers = client.post("/webhooks", data=ORDER, headers=headers).json["status"]
        assert answers == ("queued" if webhook_id == "wh-1" else "duplicate")
    assert len(queued_jobs(redis)) == 1


def test_the_dedup_mark_expires_no_sooner_than_48_hours(client, redis):
    post(client, ORDER, event_id="evt-1")
    (key,) = redis.keys("shopworker:seen:*")
    assert redis.ttl(key) >= 48 * 3600


def test_the_previous_secret_still_verifies_during_a_rotation(client, redis):
    assert post(client, ORDER, secret="old-secret", event_id="evt-1").status_code == 200


@pytest.mark.parametrize(
    ("mangle", "status", "error"),
    [
        (lambda h: h.pop("X-Shopify-Hmac-Sha256"), 401, "X-Shopify-Hmac-Sha256"),
        (lambda h: h.update({"X-Shopify-Hmac-Sha256": "bm90IHRoZSBzaWduYXR1cmU="}), 401, "does not match"),
        (lambda h: h.update({"X-Shopify-Hmac-Sha256": "%%%not base64"}), 401, "does not match"),
        (lambda h: h.pop("X-Shopify-Topic"), 400, "X-Shopify-Topic"),
        (lambda h: h.pop("X-Shopify-Shop-Domain"), 400, "X-Shopify-Shop-Domain"),
        (lambda h: h.update({"X-Shopify-Shop-Domain": "evil.example.com"}), 400, "myshopify.com"),
        (lambda h: h.update({"X-Shopify-Shop-Domain": "a.myshopify.com.evil.com"}), 400, "myshopify.com"),
    ],
    ids=[
        "no signature",
        "wrong signature",
        "signature not base64",
        "no topic",
        "no shop",
        "foreign shop domain",
        "lookalike shop domain",
    ],
)
def test_bad_headers_are_refused_with_a_message_and_nothing_is_queued(client, redis, mangle, status, error):
    headers = headers_for(ORDER, "orders/create", SECRET, event_id="evt-1")
    mangle(headers)
    response = client.post("/webhooks", data=ORDER, headers=headers)
    assert response.status_code == status
    assert error in response.json["error"]
    assert queued_jobs(redis) == []


def test_header_names_are_case_insensitive(client, redis):
    headers = {k.lower(): v for k, v in headers_for(ORDER, "orders/create", SECRET, event_id="evt-1").items()}
    assert client.post("/webhooks", data=ORDER, headers=headers).json == {"status": "queued"}


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2, 3]", b'"a string"', b"\xff\xfe\x00junk", b"[" * 20_000 + b"]" * 20_000],
    ids=["not json", "array", "string", "invalid utf-8", "deep nesting"],
)
def test_a_signed_body_that_is_not_a_json_object_is_a_400(client, redis, body):
    response = post(client, body, event_id="evt-1")
    assert response.status_code == 400
    assert "JSON" in response.json["error"]
    assert queued_jobs(redis) == []


def test_a_body_over_the_limit_is_a_413(client, redis):
    body = body_of({"id": 1, "padding": "x" * 70 * 1024})
    response = post(client, body, event_id="evt-1")
    assert response.status_code == 413
    assert "limit" in response.json["error"]
    assert queued_jobs(redis) == []


def test_a_verified_topic_we_do_not_handle_is_acknowledged_as_ignored(client, redis):
    response = post(client, body_of({"id": 5}), topic="products/update", event_id="evt-1")
    assert (response.status_code, response.json) == (200, {"status": "ignored"})
    assert queued_jobs(redis) == []


def test_a_shop_outside_the_allowed_list_is_refused(web_settings, redis):
    settings = Settings(**{**web_settings.__dict__, "allowed_shops": frozenset({"other.myshopify.com"})})
    response = post(create_app(settings).test_client(), ORDER, event_id="evt-1")
    assert response.status_code == 403
    assert queued_jobs(redis) == []


def test_when_redis_is_down_the_answer_is_503_and_the_delivery_is_not_marked_seen(web_settings, redis):
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    response = post(create_app(web_settings, redis=down).test_client(), ORDER, event_id="evt-1")
    assert response.status_code == 503
    assert "retry" in response.json["error"]
    retried = post(create_app(web_settings).test_client(), ORDER, event_id="evt-1")
    assert retried.json == {"status": "queued"}


def test_health_and_readiness(client, web_settings):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"redis": "ok", "database": "ok"}


def test_readiness_reports_an_unreachable_redis(web_settings):
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    ready = create_app(web_settings, redis=down).test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["redis"].startswith("unreachable")

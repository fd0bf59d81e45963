"""What the receiver refuses although the body is validly signed: Shopify signs the body, not the headers, so a
body must have its topic's shape, every header we keep must be one Shopify could have sent, and nothing may be
queued that the records cannot hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from config.settings import Settings
from queueing.payloads import SHAPES
from queueing.serializer import JobSerializer
from tests.conftest import SECRET
from tests.support import SHOP, body_of, headers_for, shopify_samples
from webhooks import create_app

SAMPLES = dict(shopify_samples())
ORDER = {
    "id": 1001,
    "name": "#1001",
    "updated_at": "2026-03-01T12:00:00Z",
    "line_items": [{"id": 1, "quantity": 1, "title": "Star night light"}],
}
ORDER_TOPICS = {topic for topic in SHAPES if topic.startswith("orders/") and topic != "orders/edited"}
REDACT = {"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 191167}, "orders_to_redact": [299938]}


@pytest.fixture
def client(redis_url: str, tmp_path: Path):
    settings = Settings(api_secrets=(SECRET,), redis_url=redis_url, database_url=f"sqlite:///{tmp_path / 'w.db'}")
    return create_app(settings).test_client()


def queued(redis: Redis) -> list:
    return Queue("shopworker", connection=redis, serializer=JobSerializer).get_jobs()


def post(client, body: bytes, topic: str, **headers: str):
    sent = headers_for(body, topic, SECRET, event_id=headers.pop("event_id", "evt-1"))
    sent.update(headers)
    return client.post("/webhooks", data=body, headers=sent)


def test_a_signed_order_resent_as_shop_redact_is_refused_and_nothing_is_queued(client, redis):
    response = post(client, SAMPLES["orders/create"], "shop/redact")
    assert response.status_code == 400
    assert response.json["error"] == "shop/redact needs shop_id"
    assert queued(redis) == []


@pytest.mark.parametrize(
    ("topic", "payload", "error"),
    [
        pytest.param(
            "shop/redact",
            {"shop_id": 954889, "shop_domain": "another-shop.myshopify.com"},
            "shop/redact: shop_domain must be the shop named by X-Shopify-Shop-Domain",
            id="a shop redaction names the shop it was delivered for",
        ),
        pytest.param(
            "customers/redact",
            {k: v for k, v in REDACT.items() if k != "orders_to_redact"},
            "customers/redact needs orders_to_redact",
            id="a customer redaction lists the orders to redact",
        ),
        pytest.param(
            "customers/redact",
            {**REDACT, "customer": {"email": "john@example.com"}},
            "customers/redact needs customer.id",
            id="a customer redaction names the customer by id",
        ),
        pytest.param(
            "customers/data_request",
            {**REDACT, "orders_requested": [299938]},
            "customers/data_request needs data_request",
            id="a data request carries its request",
        ),
        pytest.param(
            "orders/create",
            {"shop_id": 954889, "shop_domain": SHOP},
            "orders/create needs id",
            id="an order topic carries an order",
        ),
        pytest.param(
            "orders/updated",
            {k: v for k, v in ORDER.items() if k != "updated_at"},
            "orders/updated needs updated_at",
            id="an order says when it last changed, as every order webhook does",
        ),
        pytest.param(
            "fulfillments/create",
            {"id": 123456, "status": "success"},
            "fulfillments/create needs order_id",
            id="a fulfillment names its order",
        ),
        pytest.param(
            "fulfillment_events/create",
            {"id": 1, "fulfillment_id": 2, "order_id": "3", "status": "in_transit"},
            "fulfillment_events/create: order_id must be an integer",
            id="ids are integers",
        ),
        pytest.param(
            "returns/request",
            {"order": {"id": 4783296544821}},
            "returns/request needs id",
            id="a return names itself",
        ),
        pytest.param(
            "fulfillment_orders/order_routing_complete",
            {"fulfillment_order": {"id": "<script>"}},
            "fulfillment_orders/order_routing_complete: fulfillment_order.id must be a Shopify global id "
            "(gid://shopify/...)",
            id="a fulfillment order is named by its global id",
        ),
    ],
)
def test_a_body_without_its_topics_shape_is_refused_with_the_reason(client, redis, topic, payload, error):
    response = post(client, body_of(payload), topic)
    assert (response.status_code, response.json["error"]) == (400, error)
    assert queued(redis) == []


@pytest.mark.parametrize(
    "topic", sorted(set(SAMPLES) & {"customers/redact", "shop/redact", "refunds/create", *ORDER_TOPICS})
)
def test_shopifys_samples_keep_their_shape(client, redis, topic):
    assert post(client, SAMPLES[topic], topic).json == {"status": "queued"}


# What the records cannot hold ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            body_of({**ORDER, "note": "leave at the door\u0000"}),
            "$.note contains a NUL character, which the records cannot hold",
            id="a NUL anywhere",
        ),
        pytest.param(
            body_of({**ORDER, "id": 2**63}),
            "orders/create: id must be between 1 and 9223372036854775807",
            id="an id above 2^63-1",
        ),
        pytest.param(
            json.dumps(ORDER).replace('"quantity": 1', '"quantity": 1, "points": 99999999999999999999999').encode(),
            "$.line_items[0].points is a number beyond the 64-bit integers the records hold",
            id="any integer beyond 64 bits",
        ),
        pytest.param(
            body_of({**ORDER, "name": "#" + "9" * 200}),
            "orders/create: name must be at most 100 characters",
            id="a string longer than its column",
        ),
        pytest.param(
            body_of({**ORDER, "line_items": [{"id": 1, "quantity": 2**31}]}),
            "orders/create: line_items[0].quantity must be between 0 and 2147483647",
            id="a quantity beyond its column",
        ),
    ],
)
def test_values_the_records_cannot_hold_are_refused(client, redis, body, error):
    response = post(client, body, "orders/create")
    assert (response.status_code, response.json["error"]) == (400, error)
    assert queued(redis) == []


def test_long_digit_strings_such_as_tracking_numbers_are_taken(client, redis):
    body = body_of({"id": 7101, "order_id": 5001, "tracking_numbers": ["94001112025558427612345678"]})
    assert post(client, body, "fulfillments/create").json == {"status": "queued"}


# Headers ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"event_id": "<img src=x onerror=alert(document.cookie)>"},
        {"event_id": "a" * 101},
        {"X-Shopify-Webhook-Id": "\"'><svg onload=alert(1)>"},
    ],
    ids=["markup in the event id", "an event id too long", "markup in the webhook id"],
)
def test_an_id_header_shopify_could_not_have_sent_is_refused(client, redis, header):
    response = post(client, body_of(ORDER), "orders/create", **header)
    assert response.status_code == 400
    assert "letters, digits" in response.json["error"]
    assert queued(redis) == []


def test_an_unreadable_trigger_time_or_api_version_is_dropped_and_the_event_taken(client, redis):
    headers = {"X-Shopify-Triggered-At": "yesterday<script>", "X-Shopify-API-Version": "2026-04<b>"}
    assert post(client, body_of(ORDER), "orders/create", **headers).json == {"status": "queued"}
    (job,) = queued(redis)
    assert (job.args[0]["triggered_at"], job.args[0]["api_version"]) == (None, None)


def test_a_trigger_time_is_kept_in_utc(client, redis):
    post(client, body_of(ORDER), "orders/create", **{"X-Shopify-Triggered-At": "2026-03-01T07:00:00-05:00"})
    (job,) = queued(redis)
    assert job.args[0]["triggered_at"] == "2026-03-01T12:00:00+00:00"

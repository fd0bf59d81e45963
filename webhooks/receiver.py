"""POST /webhooks: verify, deduplicate and enqueue; every answer tells Shopify whether to retry."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from datetime import UTC, datetime

import orjson
from flask import Blueprint, Response, current_app, g, request
from redis.exceptions import RedisError
from shopify.utils.shop_url import sanitize_shop_domain
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from queueing.intake import Intake
from queueing.keys import DeliveryKey
from queueing.payloads import PayloadError, check_payload
from queueing.topics import JOB_FOR_TOPIC
from webhooks import metrics
from webhooks.depth import MAX_JSON_DEPTH, nests_deeper_than
from webhooks.headers import HeaderError, read_delivery_headers
from webhooks.verify import is_authentic

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)

_TOPIC_SHAPE = re.compile(r"[a-z_]+/[a-z_]+")


def _answer(code: int, **body: str) -> Response:
    g.webhook_outcome = body["status"] if code == 200 else f"rejected_{code}"
    return Response(orjson.dumps(body), code, mimetype="application/json")


@bp.before_request
def _start_clock() -> None:
    g.webhook_started = time.perf_counter()


@bp.after_request
def _count(response: Response) -> Response:
    """Counted in process memory only: the request path makes no Redis round trip for metrics."""
    topic = g.get("webhook_topic", "unverified")
    outcome = g.get("webhook_outcome", f"rejected_{response.status_code}")
    metrics.observe_webhook(topic, outcome, time.perf_counter() - g.webhook_started)
    return response


def valid_shop_domain(raw: str) -> str | None:
    """The shop's canonical domain, only when the header is exactly a `*.myshopify.com` host."""
    shop = raw.strip().lower()
    try:
        return shop if shop and sanitize_shop_domain(shop) == shop else None
    except ValueError:  # urllib refuses some hosts outright, e.g. an unbalanced "[" read as an IPv6 address
        return None


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return _answer(413, status="rejected", error=f"body is larger than the {limit}-byte limit")


@bp.post("/webhooks")
def receive() -> Response:
    settings = current_app.config["SHOPWORKER_SETTINGS"]
    try:
        body = request.get_data(cache=False)
    except (ClientDisconnected, OSError):  # the body did not arrive within the read deadline (read_deadline.py)
        return _answer(408, status="rejected", error="the body was not sent in time")
    if not is_authentic(body, request.headers.get("X-Shopify-Hmac-Sha256"), settings.api_secrets):
        claimed = valid_shop_domain(request.headers.get("X-Shopify-Shop-Domain", "")) or "invalid"
        if metrics.count_verification_failure(claimed, time.time()) == 1:
            log.warning(
                "webhook rejected: bad or missing HMAC (further failures this minute are only counted)",
                extra={"shop": claimed, "remote": request.remote_addr},
            )
        return _answer(401, status="rejected", error="X-Shopify-Hmac-Sha256 is missing or does not match the body")

    topic = request.headers.get("X-Shopify-Topic", "").strip().lower()
    g.webhook_topic = topic if _TOPIC_SHAPE.fullmatch(topic) else "invalid"
    raw_shop = request.headers.get("X-Shopify-Shop-Domain", "")
    if not topic or not raw_shop:
        return _answer(400, status="rejected", error="X-Shopify-Topic and X-Shopify-Shop-Domain headers are required")
    shop = valid_shop_domain(raw_shop)
    if shop is None:
        return _answer(400, status="rejected", error=f"{raw_shop[:100]!r} is not a valid *.myshopify.com domain")
    if settings.allowed_shops and shop not in settings.allowed_shops:
        return _answer(403, status="rejected", error=f"{shop} is not one of the shops this worker serves")
    try:
        delivery = read_delivery_headers(request.headers)
    except HeaderError as error:
        return _answer(400, status="rejected", error=str(error))
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        return _answer(400, status="rejected", error=f"body is JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _answer(400, status="rejected", error="body is not valid UTF-8 JSON")
    if not isinstance(payload, dict):
        return _answer(400, status="rejected", error="body is not a JSON object")

    event_id = delivery.event_id or delivery.webhook_id
    key = DeliveryKey(shop, topic, event_id or "sha256:" + hashlib.sha256(body).hexdigest())
    job_path = JOB_FOR_TOPIC.get(topic)
    if job_path is None:
        log.info("webhook ignored: topic not handled", extra={"shop": shop, "topic": topic, "event": key.event_id})
        return _answer(200, status="ignored")
    try:
        check_payload(topic, shop, body, payload)
    except PayloadError as error:
        return _answer(400, status="rejected", error=str(error))

    envelope = {
        "shop": shop,
        "topic": topic,
        "event_id": key.event_id,
        "webhook_id": delivery.webhook_id,
        "triggered_at": delivery.triggered_at,
        "api_version": delivery.api_version,
        "received_at": datetime.now(UTC).isoformat(),
        "source": "webhook",
        # The body goes into the job as the JSON it already is (checked above), not as a string to escape: the
        # worker gets it parsed with the rest of the job, by orjson.
        "payload": orjson.Fragment(body),
    }
    intake: Intake = current_app.extensions["shopworker_intake"]
    try:
        queued = intake.submit(key, job_path, envelope)
    except RedisError as error:
        log.error("webhook not stored, Redis unavailable: %s", error, extra={"shop": shop, "topic": topic})
        return _answer(503, status="unavailable", error="the event could not be stored; retry later")
    return _answer(200, status="queued" if queued else "duplicate")

"""Helpers for tests that deliver webhooks the way Shopify does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from webhooks.verify import sign

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "shopify-samples"
FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
SHOP = "little-twinkle-stars.myshopify.com"


def shopify_samples() -> list[tuple[str, bytes]]:
    """(topic, body) for each of Shopify's published sample payloads; skipped where shared/ is not beside us."""
    return [(path.stem.replace("__", "/"), path.read_bytes()) for path in sorted(SAMPLES.glob("*.json"))]


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


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()

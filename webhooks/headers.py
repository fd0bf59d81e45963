"""The delivery headers we keep. Shopify signs the body, not the headers, so each one is checked here: the ids
become dedup keys, job descriptions and event log columns, and they are shown on the operator pages.

Shopify's own values are UUIDs (event and webhook ids), `YYYY-MM` or `unstable` (API version) and an ISO-8601
time (triggered-at). An id outside its charset or length is refused (it names the delivery, so it cannot be
guessed at); an API version or a trigger time we cannot read is only metadata, so it is dropped and the event is
still taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.datastructures import Headers

ID_MAX_CHARS = 100
# Letters, digits and the separators of UUIDs and our own replay ids ("replay-<sha>", "reconcile:1:2"), and "/".
_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{ID_MAX_CHARS - 1}}}")
_API_VERSION = re.compile(r"\d{4}-\d{2}|unstable")
_TIME = re.compile(r"[0-9T:.+\-Z ]{10,40}")


class HeaderError(ValueError):
    """A header that cannot be kept; the message names it and says why."""


@dataclass(frozen=True)
class DeliveryHeaders:
    event_id: str | None
    webhook_id: str | None
    api_version: str | None
    triggered_at: str | None  # ISO-8601 in UTC


def read_delivery_headers(headers: Headers) -> DeliveryHeaders:
    return DeliveryHeaders(
        event_id=_id(headers, "X-Shopify-Event-Id"),
        webhook_id=_id(headers, "X-Shopify-Webhook-Id"),
        api_version=_api_version(headers.get("X-Shopify-API-Version")),
        triggered_at=_triggered_at(headers.get("X-Shopify-Triggered-At")),
    )


def _id(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    if not value:
        return None
    if not _ID.fullmatch(value):
        raise HeaderError(
            f"{name} must be 1-{ID_MAX_CHARS} letters, digits, '.', '_', ':', '/' or '-' (Shopify sends a UUID)"
        )
    return value


def _api_version(value: str | None) -> str | None:
    return value if value and _API_VERSION.fullmatch(value) else None


def _triggered_at(value: str | None) -> str | None:
    if not value or not _TIME.fullmatch(value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return None

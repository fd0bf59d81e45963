"""The event envelope a job receives: what the receiver (or a replay, or reconciliation) saw of one delivery."""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from queueing.payloads import may_be_unstorable


def parse_time(value: Any) -> datetime | None:
    """Shopify's ISO-8601 timestamps, always handed on as aware UTC; naive ones are taken as UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def parse_body(body: str) -> Any:
    """A webhook's JSON body. orjson reads it four times faster than the standard library, but reads an integer
    beyond 64 bits as a float, and refuses a NaN: a body that may hold such a number is read by the standard library,
    which keeps it whole for the worker's checks to name."""
    raw = body.encode()
    if not may_be_unstorable(raw):
        with suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    return json.loads(body)


@dataclass(frozen=True)
class Event:
    shop: str
    topic: str
    event_id: str
    payload: dict[str, Any]
    received_at: datetime
    source: str = "webhook"
    webhook_id: str | None = None
    triggered_at: datetime | None = None
    api_version: str | None = None

    @classmethod
    def from_envelope(cls, envelope: dict[str, Any]) -> Event:
        body = envelope.get("body")
        payload = parse_body(body) if isinstance(body, str) else envelope["payload"]
        return cls(
            shop=envelope["shop"],
            topic=envelope["topic"],
            event_id=envelope["event_id"],
            payload=payload,
            received_at=parse_time(envelope.get("received_at")) or datetime.now(UTC),
            source=envelope.get("source", "webhook"),
            webhook_id=envelope.get("webhook_id"),
            triggered_at=parse_time(envelope.get("triggered_at")),
            api_version=envelope.get("api_version"),
        )

    def to_envelope(self, source: str | None = None) -> dict[str, Any]:
        """The same event as a job argument again (replays mark where they come from)."""
        return {
            "shop": self.shop,
            "topic": self.topic,
            "event_id": self.event_id,
            "webhook_id": self.webhook_id,
            "triggered_at": self.triggered_at.isoformat() if self.triggered_at else None,
            "api_version": self.api_version,
            "received_at": self.received_at.isoformat(),
            "source": source or self.source,
            "body": json.dumps(self.payload),
        }

    @property
    def order_id(self) -> int | None:
        """The order an event concerns, whatever the topic's payload shape, for the event log's search."""
        p = self.payload
        for candidate in (
            p.get("order_id"),
            (p.get("order") or {}).get("id") if isinstance(p.get("order"), dict) else None,
            (p.get("order_edit") or {}).get("order_id") if isinstance(p.get("order_edit"), dict) else None,
            p.get("id") if self.topic.startswith("orders/") and "order_edit" not in p else None,
        ):
            if isinstance(candidate, int):
                return candidate
        return None

"""Shop-specific webhook subscriptions, for apps that do not declare theirs in shopify.app.toml: whatever topic we
act on has no subscription to our address gets one. Compliance topics are set in the app's configuration only."""

from __future__ import annotations

from typing import Protocol

from worker.adapters.shopify import topic_enum_name
from worker.services.reconciliation import needed_topics


class Subscriber(Protocol):
    def webhook_subscriptions(self) -> list[tuple[str, str | None]]: ...

    def create_webhook_subscription(self, topic: str, uri: str) -> str: ...


def subscribe(shopify: Subscriber, uri: str) -> tuple[list[str], list[str]]:
    """(topics subscribed now, topics already subscribed to `uri`); running it twice creates nothing the second
    time."""
    existing = {topic for topic, address in shopify.webhook_subscriptions() if address == uri}
    created, present = [], []
    for topic in needed_topics():
        if topic_enum_name(topic) in existing:
            present.append(topic)
        else:
            shopify.create_webhook_subscription(topic, uri)
            created.append(topic)
    return created, present

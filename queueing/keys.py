"""The Redis keys of our own that both processes use (RQ names its own keys)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Written by the worker (worker/metrics.py), read at scrape time by GET /metrics.
JOB_OUTCOMES_KEY = "shopworker:metrics:jobs"  # hash "<handler>|<outcome>" -> jobs run
FIGURES_KEY = "shopworker:metrics:figures"  # JSON computed from the database by a periodic job
FIELD_SEPARATOR = "|"

# shop -> JSON list of the webhook topics Shopify has no subscription for, written by the worker's reconciliation
# and shown as warnings by GET /readyz.
MISSING_WEBHOOKS_KEY = "shopworker:missing-webhooks"

# shop -> why its credentials no longer work (a token endpoint refused), written and cleared by the worker and the
# install callback; GET /readyz reports each shop named here as needs_reinstall until its credentials work again.
NEEDS_REINSTALL_KEY = "shopworker:needs-reinstall"


SEEN_PREFIX = "shopworker:seen:"  # + shop:topic:event id, one key per delivery taken in the last DEDUP_SECONDS
_GLOB = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class DeliveryKey:
    """A delivery is the same delivery when shop, topic and Shopify's event id agree."""

    shop: str
    topic: str
    event_id: str

    def redis_key(self) -> str:
        return f"{SEEN_PREFIX}{self.shop}:{self.topic}:{self.event_id}"


def seen_keys_of(shop: str) -> str:
    """A SCAN pattern for every delivery key of the shop (what `shop/redact` deletes)."""
    return SEEN_PREFIX + _GLOB.sub(r"\\\1", shop) + ":*"

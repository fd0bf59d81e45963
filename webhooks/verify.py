"""Shopify's webhook signature: base64 HMAC-SHA256 of the raw body, under the app's API secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable


def sign(body: bytes, secret: str) -> str:
    """The header value Shopify would send for this body; used by verification, replays and tests."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def is_authentic(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """Accept the current or the previous secret, so a rotation loses no delivery; constant-time compare."""
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (ValueError, TypeError):
        return False
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
        matched |= hmac.compare_digest(expected, given)
    return matched

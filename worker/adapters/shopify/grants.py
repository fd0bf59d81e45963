"""Shopify's token endpoint, `POST https://{shop}/admin/oauth/access_token`, for the three grants we use.

- client credentials (apps owned by the store's own organization): the app's client id and secret buy a token that
  lasts about a day, and no refresh token;
- authorization code (custom and public distribution): the code from the install redirect buys an offline token;
  `expiring=1` asks for one that expires (an hour) with a refresh token (90 days);
- refresh token: buys the next expiring token, and a new refresh token; Shopify refuses the old one from then on.

A refusal (HTTP 400, 401 or 403, usually `{"error": "invalid_grant", "error_description": ...}`) is final: only a
reinstall or a fixed app configuration helps. 429, 5xx and dropped connections are retried with a short backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from worker.adapters.shopify.transport import (
    REQUEST_TIMEOUT_SECONDS,
    ShopifyError,
    _backoff,
    _retry_after,
    admin_root,
    validated_shop_domain,
)

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
STATIC = "static"
GRANT_TYPES = (CLIENT_CREDENTIALS, AUTHORIZATION_CODE, STATIC)
MAX_ATTEMPTS = 3


class TokenRefused(ShopifyError):
    """The token endpoint said no: a revoked or reused refresh token, an uninstalled app, a wrong secret."""


@dataclass(frozen=True)
class Grant:
    """What the token endpoint handed out, with lifetimes turned into moments."""

    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
    access_expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TokenEndpoint:
    """One app's calls to its shops' token endpoints."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        base_url: str | None = None,
        session: requests.Session | None = None,
        now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("the token endpoint needs the app's client id (SHOPIFY_API_KEY) and SHOPIFY_API_SECRET")
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._base_url = base_url
        self._session = session or requests.Session()
        self._now = now
        self._sleep = sleep

    def client_credentials(self, shop: str) -> Grant:
        return self._ask(shop, {"grant_type": CLIENT_CREDENTIALS})

    def authorization_code(self, shop: str, code: str) -> Grant:
        return self._ask(shop, {"code": code, "expiring": "1"})

    def refresh(self, shop: str, refresh_token: str) -> Grant:
        return self._ask(shop, {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _ask(self, shop: str, form: Mapping[str, str]) -> Grant:
        domain = validated_shop_domain(shop)
        url = f"{admin_root(domain, self._base_url)}/admin/oauth/access_token"
        body = {**self._client, **form}
        reason = ""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._session.post(
                    url, data=body, headers={"Accept": "application/json"}, timeout=REQUEST_TIMEOUT_SECONDS
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason, wait = f"connection failed ({type(exc).__name__})", _backoff(attempt)
            else:
                if response.status_code == 200:
                    return self._grant(domain, response)
                if response.status_code in (400, 401, 403, 404):
                    raise TokenRefused(f"{domain}'s token endpoint refused: {_refusal(response)}")
                reason = f"HTTP {response.status_code}"
                wait = _retry_after(response) or _backoff(attempt)
            if attempt < MAX_ATTEMPTS:
                self._sleep(wait)
        raise ShopifyError(f"{domain}'s token endpoint could not be reached after {MAX_ATTEMPTS} attempts: {reason}")

    def _grant(self, domain: str, response: requests.Response) -> Grant:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise ShopifyError(f"{domain}'s token endpoint answered without an access token")
        now = self._now()
        refresh = payload.get("refresh_token")
        return Grant(
            access_token=token,
            scopes=tuple(s.strip() for s in str(payload.get("scope") or "").split(",") if s.strip()),
            access_expires_at=_after(now, payload.get("expires_in")),
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            refresh_expires_at=_after(now, payload.get("refresh_token_expires_in")),
        )


def _after(now: datetime, seconds: Any) -> datetime | None:
    """A lifetime in seconds as a moment; none (or nonsense) means the token does not expire."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return now + timedelta(seconds=float(seconds))


def _refusal(response: requests.Response) -> str:
    """Shopify's own words (OAuth's `error` and `error_description`, or `errors`), never the request's secrets."""
    try:
        payload = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(payload, dict):
        return f"HTTP {response.status_code}"
    words = [str(payload[key]) for key in ("error", "error_description", "errors") if payload.get(key)]
    return f"HTTP {response.status_code}: {': '.join(words)}" if words else f"HTTP {response.status_code}"

"""GraphQL over HTTP to the Shopify Admin API, with Shopify's throttling rules applied.

Shopify signals "slow down" three ways: HTTP 429 with Retry-After, HTTP 200 whose errors carry
`extensions.code == "THROTTLED"` (the cost bucket is empty), and 5xx or dropped connections. The first two
say how long to wait; the last gets a bounded exponential backoff. Everything else is an answer, good or bad.

A 5xx or a connection lost after the request went out says nothing about whether Shopify did the work, so a
mutation is never sent again on one: it raises ShopifyOutcomeUnknown, and the caller reads Shopify's state to
find out (the split runner re-reads the fulfillment orders before its next step). A 429, a throttled answer and a
connection never made are safe to retry: Shopify did not run anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import requests
import shopify  # type: ignore[import-untyped]
from shopify.utils.shop_url import sanitize_shop_domain  # type: ignore[import-untyped]
from urllib3.exceptions import NewConnectionError

DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 0.5
MAX_WAIT_SECONDS = 30.0
REQUEST_TIMEOUT_SECONDS = 30.0

_OPERATION_NAME = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")
_MUTATION = re.compile(r"^\s*mutation\b")


class ShopifyError(Exception):
    """Shopify answered with an error, or could not be reached within the allowed attempts."""


class ShopifyUnauthorized(ShopifyError):
    """Shopify refused the access token (HTTP 401) and renewing it did not help."""


class ShopifyOutcomeUnknown(ShopifyError):
    """A mutation's answer was lost (a 5xx, a timeout, a connection dropped after sending): Shopify may have done
    it. It is not sent again; read Shopify's state to know."""


class ShopifyNotFound(ShopifyError):
    """Shopify answered, and has no such object (a deleted return, a test payload's made-up id)."""


class ShopifyUserError(ShopifyError):
    """A mutation ran but Shopify refused it; `user_errors` holds Shopify's `userErrors` list."""

    def __init__(self, operation: str, user_errors: list[dict[str, Any]]) -> None:
        self.operation = operation
        self.user_errors = user_errors
        details = "; ".join(_describe_user_error(error) for error in user_errors)
        super().__init__(f"Shopify refused {operation}: {details}")

    @property
    def codes(self) -> set[str]:
        return {str(error["code"]) for error in self.user_errors if error.get("code")}


def _describe_user_error(error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error.get("field") or [])
    message = str(error.get("message", "unknown error"))
    code = f" [{error['code']}]" if error.get("code") else ""
    return f"{field}: {message}{code}" if field else f"{message}{code}"


def operation_name(query: str) -> str:
    """The name given after `query`/`mutation`; every document this adapter sends has one."""
    match = _OPERATION_NAME.match(query)
    return match.group(1) if match else "anonymous operation"


def validated_shop_domain(shop_domain: str) -> str:
    domain = sanitize_shop_domain(shop_domain)
    if not domain:
        raise ValueError(f"not a Shopify shop domain: {shop_domain!r} (expected <name>.myshopify.com)")
    return str(domain)


def admin_root(shop_domain: str, base_url: str | None = None) -> str:
    """Where a shop's Admin API and token endpoint live: https://<shop>, or `base_url` (tests point it at the fake
    Admin API; a `{shop}` in it is replaced by the shop's domain, so one fake can serve several shops)."""
    return (base_url.replace("{shop}", shop_domain) if base_url else f"https://{shop_domain}").rstrip("/")


class TokenSource(Protocol):
    """Hands the transport a shop's access token, and a new one when Shopify refuses the one it had."""

    def token(self) -> str: ...

    def renew(self, rejected: str) -> str: ...


class FixedToken:
    """A token nothing can renew: a refusal is final."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("a Shopify access token is required")
        self._token = token

    def token(self) -> str:
        return self._token

    def renew(self, rejected: str) -> str:
        raise ShopifyUnauthorized("a static access token cannot be renewed")


def validated_api_version(api_version: str) -> str:
    try:
        return str(shopify.ApiVersion.coerce_to_version(api_version).name)
    except (shopify.VersionNotFoundError, shopify.InvalidVersionError):
        raise ValueError(f"not a Shopify API version: {api_version!r} (expected YYYY-MM or 'unstable')") from None


class GraphQLTransport:
    """Posts GraphQL documents to one shop and returns `data`, retrying only what Shopify says to retry."""

    def __init__(
        self,
        shop_domain: str,
        access_token: str | TokenSource,
        api_version: str,
        session: requests.Session | None = None,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.shop_domain = validated_shop_domain(shop_domain)
        self.api_version = validated_api_version(api_version)
        self.endpoint = f"{admin_root(self.shop_domain, base_url)}/admin/api/{self.api_version}/graphql.json"
        self._tokens = FixedToken(access_token) if isinstance(access_token, str) else access_token
        self._session = session or requests.Session()
        self._sleep = sleep
        self._max_attempts = max_attempts

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        operation = operation_name(query)
        mutation = _MUTATION.match(query) is not None
        body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
        token, renewed = self._tokens.token(), False
        reason, attempt = "", 0
        while attempt < self._max_attempts:
            attempt += 1
            headers = {"X-Shopify-Access-Token": token, "Content-Type": "application/json"}
            try:
                response = self._session.post(
                    self.endpoint, json=body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason, wait = f"connection failed ({type(exc).__name__})", _backoff(attempt)
                if mutation and not _never_sent(exc):
                    raise ShopifyOutcomeUnknown(_lost(operation, reason)) from None
            else:
                if response.status_code == 401:
                    # An expired or revoked token: renewed once, then the request is sent again at once.
                    refusal = f"Shopify {operation}: HTTP 401: {_describe_errors(_errors_of(response))}"
                    if renewed:
                        raise ShopifyUnauthorized(f"{refusal} (with a renewed token)")
                    try:
                        token, renewed = self._tokens.renew(token), True
                    except ShopifyUnauthorized:
                        raise ShopifyUnauthorized(refusal) from None
                    attempt -= 1  # the renewed token's first try is not a retry
                    continue
                outcome = self._read(operation, response, attempt)
                if isinstance(outcome, dict):
                    return outcome
                reason, wait = outcome
                if mutation and response.status_code >= 500:
                    raise ShopifyOutcomeUnknown(_lost(operation, reason))
            if attempt < self._max_attempts:
                self._sleep(wait)
        raise ShopifyError(f"Shopify {operation} failed after {self._max_attempts} attempts: {reason}")

    def _read(self, operation: str, response: requests.Response, attempt: int) -> dict[str, Any] | tuple[str, float]:
        """The `data` of a final answer, or (why, how long to wait) for one worth retrying."""
        status = response.status_code
        if status == 429:
            return "HTTP 429 Too Many Requests", _retry_after(response) or _backoff(attempt)
        if status >= 500:
            return f"HTTP {status}", _backoff(attempt)
        try:
            payload = response.json()
        except ValueError:
            raise ShopifyError(f"Shopify {operation}: HTTP {status} with a body that is not JSON") from None
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if status != 200:
            raise ShopifyError(f"Shopify {operation}: HTTP {status}: {_describe_errors(errors)}")
        if errors:
            if _is_throttled(errors):
                return "throttled (query cost bucket empty)", _throttle_wait(payload, attempt)
            raise ShopifyError(f"Shopify {operation}: {_describe_errors(errors)}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise ShopifyError(f"Shopify {operation}: the answer has no data")
        return data


def _errors_of(response: requests.Response) -> Any:
    try:
        payload = response.json()
    except ValueError:
        return None
    return payload.get("errors") if isinstance(payload, dict) else None


def _never_sent(error: Exception) -> bool:
    """True when the connection was never made, so Shopify cannot have seen the request."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    cause = error.args[0] if error.args else None
    return isinstance(getattr(cause, "reason", None), NewConnectionError)


def _lost(operation: str, reason: str) -> str:
    return f"Shopify {operation}: the answer was lost ({reason}); it may have been done, so it is not sent again"


def _backoff(attempt: int) -> float:
    return float(min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), MAX_WAIT_SECONDS))


def _retry_after(response: requests.Response) -> float | None:
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return min(max(seconds, 0.0), MAX_WAIT_SECONDS)


def _is_throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors
    )


def _throttle_wait(payload: Mapping[str, Any], attempt: int) -> float:
    """Seconds until the bucket holds the points this query asked for, from Shopify's own figures."""
    cost = (payload.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    try:
        needed = float(cost["requestedQueryCost"]) - float(status["currentlyAvailable"])
        restore_rate = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return _backoff(attempt)
    if restore_rate <= 0:
        return _backoff(attempt)
    return min(max(needed, 1.0) / restore_rate, MAX_WAIT_SECONDS)


def _describe_errors(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(
            str(error.get("message", error)) if isinstance(error, dict) else str(error) for error in errors
        )
    return str(errors) if errors else "no details given"

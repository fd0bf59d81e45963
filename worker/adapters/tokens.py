"""Each shop's access token: where it comes from, when it is renewed, and what happens when Shopify says no.

Three ways in, all ending in the `shop_credentials` table:
- static tokens (`SHOPIFY_ACCESS_TOKENS=shop=token,...`, or `SHOPIFY_ACCESS_TOKEN` for any shop without its own),
  taken up the first time a shop needs one, and again whenever the configured token changes;
- the client credentials grant, for a shop named in SHOP_POLICIES (or added with `shopworker shops add`) when the
  app's client id is configured: asked for when first needed, renewed before it expires;
- the authorization code grant, stored by the install callback (`/auth/callback`), renewed with its refresh token.

Renewals happen one at a time per shop across every process (a Redis lock), the row is read again once the lock
is held (another process may have renewed already), and the new pair is committed before the token is used:
Shopify refuses a refresh token once it has handed out the next one. A refusal marks the shop needs_reinstall
(in the records, and in Redis for /readyz); its actions wait, pending, until its credentials work again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import LockError
from sqlalchemy import Engine

from config.settings import Settings
from queueing.keys import NEEDS_REINSTALL_KEY
from worker.adapters.credentials import (
    ACTIVE,
    NEEDS_REINSTALL,
    UNINSTALLED,
    Credentials,
    CredentialsStore,
    Vault,
    fingerprint,
)
from worker.adapters.shopify.grants import (
    AUTHORIZATION_CODE,
    CLIENT_CREDENTIALS,
    STATIC,
    Grant,
    TokenEndpoint,
    TokenRefused,
)
from worker.adapters.shopify.transport import ShopifyError

log = logging.getLogger(__name__)

RENEW_MARGIN = timedelta(minutes=5)  # renew a token with less than this left (or a fifth of its life, if shorter)
RETRY_CLIENT_CREDENTIALS_AFTER = timedelta(minutes=5)  # a refused client credentials grant is asked again after this
LOCK_SECONDS = 60  # longer than a token request with its retries
LOCK_WAIT_SECONDS = 45


class NeedsReinstall(ShopifyError):
    """The shop's credentials no longer work and renewing them was refused: the merchant must reinstall the app (or
    fix its configuration). Actions toward the shop wait, pending."""

    def __init__(self, shop: str, reason: str) -> None:
        self.shop = shop
        self.reason = reason
        super().__init__(f"{shop} needs_reinstall: {reason}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ShopCredentials:
    def __init__(
        self,
        settings: Settings,
        store: CredentialsStore,
        redis: Redis,
        endpoint: TokenEndpoint | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = settings
        self.store = store
        self.redis = redis
        self.endpoint = endpoint
        self.now = now

    @classmethod
    def build(
        cls, settings: Settings, engine: Engine, redis: Redis, now: Callable[[], datetime] = _utc_now
    ) -> ShopCredentials:
        vault = Vault.from_settings(settings.credentials_keys, settings.api_secrets)
        endpoint = None
        if settings.shopify_api_key:
            endpoint = TokenEndpoint(
                settings.shopify_api_key, settings.api_secrets[0], base_url=settings.shopify_admin_url, now=now
            )
        return cls(settings, CredentialsStore(engine, vault), redis, endpoint, now)

    # What there is

    def get(self, shop: str) -> Credentials | None:
        """The shop's stored credentials, a configured static token taken up first."""
        stored = self.store.get(shop)
        static = self.settings.shopify_access_tokens.get(shop) or self.settings.shopify_access_token
        if static and (
            stored is None or (stored.grant_type == STATIC and stored.token_fingerprint != fingerprint(static))
        ):
            return self._save(shop, STATIC, Grant(access_token=static, scopes=()), installed=True)
        return stored

    def can_act_for(self, shop: str) -> bool:
        """Whether a token can be had for the shop at all (it may still turn out to be refused)."""
        stored = self.get(shop)
        if stored is not None:
            return stored.status != UNINSTALLED
        return self._client_credentials_shop(shop)

    def uninstalled(self, shop: str) -> bool:
        stored = self.store.get(shop)
        return stored is not None and stored.status == UNINSTALLED

    def shops(self) -> list[str]:
        """Every shop we hold or are configured to hold credentials for."""
        configured = set(self.settings.shop_policies) | set(self.settings.shopify_access_tokens)
        return sorted(configured | {credentials.shop for credentials in self.store.list()})

    # Tokens

    def token(self, shop: str) -> str:
        """A token that works for a while yet, renewed first when it is about to expire."""
        return self._fresh(shop, rejected=None)

    def renew(self, shop: str, rejected: str) -> str:
        """Shopify refused `rejected` (HTTP 401): a new token, unless another process has renewed it already."""
        return self._fresh(shop, rejected=rejected)

    def source(self, shop: str) -> ShopTokens:
        return ShopTokens(self, shop)

    def _fresh(self, shop: str, rejected: str | None) -> str:
        current = self.get(shop)
        token = self._usable(current, rejected)
        if token:
            return token
        if current is None and not self._client_credentials_shop(shop):
            raise NoCredentials(f"{shop}: no credentials (install the app, or `shopworker shops add {shop}`)")
        if current is not None and current.status == UNINSTALLED:
            raise NoCredentials(f"{shop}: the app was uninstalled from the shop")
        with self._renewal_lock(shop):
            current = self.get(shop)  # another process may have renewed while this one waited
            token = self._usable(current, rejected)
            if token:
                return token
            return self._renew(shop, current, rejected)

    def _usable(self, current: Credentials | None, rejected: str | None) -> str | None:
        if current is None or current.status != ACTIVE or not current.access_token:
            return None
        if current.access_token == rejected or self._renewal_due(current):
            return None
        return current.access_token

    def _renewal_due(self, current: Credentials) -> bool:
        if current.access_expires_at is None:
            return False
        issued = current.renewed_at or current.updated_at
        margin = min(RENEW_MARGIN, (current.access_expires_at - issued) / 5)
        return self.now() >= current.access_expires_at - margin

    def _renew(self, shop: str, current: Credentials | None, rejected: str | None) -> str:
        grant_type = current.grant_type if current else CLIENT_CREDENTIALS
        if current is not None and current.status == NEEDS_REINSTALL and not self._retry_due(current):
            raise NeedsReinstall(shop, current.status_reason or "its credentials were refused")
        try:
            if grant_type == CLIENT_CREDENTIALS:
                grant = self._endpoint().client_credentials(shop)
            elif grant_type == AUTHORIZATION_CODE:
                grant = self._refresh(shop, current)
            else:
                raise TokenRefused("Shopify refused the static access token (revoked, or the app was uninstalled)")
        except TokenRefused as refusal:
            self.refused(shop, grant_type, str(refusal))
            raise NeedsReinstall(shop, str(refusal)) from None
        saved = self._save(shop, grant_type, grant, installed=current is None)
        log.info("access token renewed", extra={"shop": shop})
        assert saved.access_token is not None
        return saved.access_token

    def _refresh(self, shop: str, current: Credentials | None) -> Grant:
        if current is None or not current.refresh_token:
            raise TokenRefused("the stored token cannot be renewed (no refresh token): reinstall the app")
        if current.refresh_expires_at is not None and self.now() >= current.refresh_expires_at:
            raise TokenRefused("the refresh token expired (nothing was renewed for its whole life): reinstall the app")
        return self._endpoint().refresh(shop, current.refresh_token)

    def _retry_due(self, current: Credentials) -> bool:
        """Only a refused client credentials grant may work again by itself (the app installed, its scopes fixed);
        a refused refresh token or static token never does."""
        return (
            current.grant_type == CLIENT_CREDENTIALS
            and self.now() - current.updated_at >= RETRY_CLIENT_CREDENTIALS_AFTER
        )

    def _endpoint(self) -> TokenEndpoint:
        if self.endpoint is None:
            raise TokenRefused("SHOPIFY_API_KEY (the app's client id) is not set: no token can be requested")
        return self.endpoint

    def _client_credentials_shop(self, shop: str) -> bool:
        return self.endpoint is not None and shop in self.settings.shop_policies

    @contextmanager
    def _renewal_lock(self, shop: str) -> Iterator[None]:
        lock = self.redis.lock(
            f"shopworker:credentials-lock:{shop}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not lock.acquire():
            raise ShopifyError(f"{shop}: another process has been renewing its token for {LOCK_WAIT_SECONDS} s")
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:  # held past its timeout and taken over: the work is saved either way
                log.warning("credentials lock expired before release", extra={"shop": shop})

    # Installs and refusals

    def install(self, shop: str, grant_type: str, grant: Grant) -> Credentials:
        """Store a fresh install's credentials (the install callback, `shopworker shops add`)."""
        with self._renewal_lock(shop):
            return self._save(shop, grant_type, grant, installed=True)

    def refused(self, shop: str, grant_type: str, reason: str) -> None:
        now = self.now()
        if self.store.get(shop) is None:
            self.store.save_refusal(shop, grant_type, reason, now)
        else:
            self.store.mark(shop, NEEDS_REINSTALL, reason, now)
        self.redis.hset(NEEDS_REINSTALL_KEY, shop, reason)
        log.warning("credentials refused: %s", reason, extra={"shop": shop})

    def uninstall(self, shop: str) -> bool:
        dropped = self.store.uninstall(shop, self.now())
        self.redis.hdel(NEEDS_REINSTALL_KEY, shop)
        return dropped

    def remove(self, shop: str) -> bool:
        removed = self.store.remove(shop)
        self.redis.hdel(NEEDS_REINSTALL_KEY, shop)
        return removed

    def publish(self) -> None:
        """Write the needs_reinstall shops where /readyz reads them (after Redis lost them, at every worker start)."""
        shops = {
            c.shop: c.status_reason or "its credentials were refused"
            for c in self.store.list()
            if c.status == NEEDS_REINSTALL
        }
        with self.redis.pipeline() as pipe:
            pipe.delete(NEEDS_REINSTALL_KEY)
            if shops:
                pipe.hset(NEEDS_REINSTALL_KEY, mapping=shops)
            pipe.execute()

    def _save(self, shop: str, grant_type: str, grant: Grant, installed: bool) -> Credentials:
        saved = self.store.save_grant(shop, grant_type, grant, self.now(), installed=installed)
        self.redis.hdel(NEEDS_REINSTALL_KEY, shop)
        return saved


class NoCredentials(LookupError):
    """No token can be had for the shop: none configured, or the app was uninstalled."""


@dataclass(frozen=True)
class ShopTokens:
    """One shop's tokens as the Admin API transport asks for them."""

    credentials: ShopCredentials
    shop: str

    def token(self) -> str:
        return self.credentials.token(self.shop)

    def renew(self, rejected: str) -> str:
        return self.credentials.renew(self.shop, rejected)

"""The fake's token endpoint, `POST /admin/oauth/access_token`, for one app and many shops.

As Shopify documents it: the client credentials grant (only for shops the app's organization owns) hands out a
token that lasts `client_credentials_lifetime` seconds; an authorization code (single use, from `issue_code`) with
`expiring=1` hands out a token of `access_lifetime` seconds and a refresh token; a refresh token hands out the next
pair and is refused from then on (`invalid_grant`). Expired, revoked or unknown tokens get 401 from the Admin API.
Tests shorten the lifetimes to see tokens expire mid-run, and move `clock` to see it without waiting.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

FAKE_CLIENT_ID = "fake-client-id"


@dataclass
class Issued:
    shop: str
    expires_at: float | None
    revoked: bool = False


@dataclass
class FakeApp:
    """One app's side of Shopify's OAuth: its client credentials, and every token it was ever handed."""

    client_secret: str
    client_id: str = FAKE_CLIENT_ID
    scopes: str = ""
    access_lifetime: int = 3600
    client_credentials_lifetime: int = 86399
    refresh_lifetime: int = 7_776_000
    owned_shops: set[str] = field(default_factory=set)  # where the client credentials grant is allowed
    refused_shops: set[str] = field(default_factory=set)  # whose token endpoint refuses every grant
    clock: Callable[[], float] = time.time
    tokens: dict[str, Issued] = field(default_factory=dict, repr=False)
    refresh_tokens: dict[str, Issued] = field(default_factory=dict, repr=False)
    codes: dict[str, str] = field(default_factory=dict, repr=False)
    grants: list[tuple[str, str]] = field(default_factory=list)  # (shop, grant) of every grant handed out
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (shop, why) of every refusal
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def issue_code(self, shop: str) -> str:
        """The code Shopify puts in the install redirect once the merchant approves."""
        with self.lock:
            code = secrets.token_hex(16)
            self.codes[code] = shop
            return code

    def accepts(self, shop: str, token: str) -> bool:
        with self.lock:
            issued = self.tokens.get(token)
            return (
                issued is not None
                and issued.shop == shop
                and not issued.revoked
                and (issued.expires_at is None or self.clock() < issued.expires_at)
            )

    def revoke(self, shop: str) -> None:
        """What an uninstall does: every token and refresh token of the shop stops working."""
        with self.lock:
            for issued in (*self.tokens.values(), *self.refresh_tokens.values()):
                if issued.shop == shop:
                    issued.revoked = True

    def live_tokens(self, shop: str) -> int:
        with self.lock:
            return sum(1 for token in self.tokens if self.accepts(shop, token))

    def answer(self, shop: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return self._refuse(shop, 401, "invalid_client", "Client authentication failed")
            if shop in self.refused_shops:
                return self._refuse(shop, 400, "invalid_request", "The app is not installed on this shop")
            grant = form.get("grant_type", "authorization_code")
            if grant == "client_credentials":
                if shop not in self.owned_shops:
                    return self._refuse(
                        shop, 400, "unauthorized_client", "client_credentials is only for shops your organization owns"
                    )
                return self._hand_out(shop, grant, self.client_credentials_lifetime, refresh=False)
            if grant == "refresh_token":
                issued = self.refresh_tokens.get(form.get("refresh_token", ""))
                if issued is None or issued.shop != shop or issued.revoked or self.clock() >= (issued.expires_at or 0):
                    return self._refuse(shop, 400, "invalid_grant", "The refresh token is invalid or was already used")
                issued.revoked = True  # rotation: the old refresh token is refused from now on
                return self._hand_out(shop, grant, self.access_lifetime, refresh=True)
            if grant == "authorization_code":
                if self.codes.pop(form.get("code", ""), None) != shop:
                    return self._refuse(shop, 400, "invalid_grant", "The authorization code is invalid or was used")
                expiring = form.get("expiring") == "1"
                return self._hand_out(shop, grant, self.access_lifetime if expiring else None, refresh=expiring)
            return self._refuse(shop, 400, "unsupported_grant_type", f"unknown grant_type {grant!r}")

    def _hand_out(self, shop: str, grant: str, lifetime: int | None, refresh: bool) -> tuple[int, dict[str, Any]]:
        now = self.clock()
        token = f"shpat_{secrets.token_hex(16)}"
        self.tokens[token] = Issued(shop, now + lifetime if lifetime else None)
        body: dict[str, Any] = {"access_token": token, "scope": self.scopes}
        if lifetime:
            body["expires_in"] = lifetime
        if refresh:
            refresh_token = f"shprt_{secrets.token_hex(16)}"
            self.refresh_tokens[refresh_token] = Issued(shop, now + self.refresh_lifetime)
            body["refresh_token"] = refresh_token
            body["refresh_token_expires_in"] = self.refresh_lifetime
        self.grants.append((shop, grant))
        return 200, body

    def _refuse(self, shop: str, status: int, error: str, description: str) -> tuple[int, dict[str, Any]]:
        self.refusals.append((shop, error))
        return status, {"error": error, "error_description": description}

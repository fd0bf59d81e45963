"""Installing the app on a shop with the authorization code grant: `GET /auth?shop=` and `GET /auth/callback`.

A blueprint that `worker.web` registers on the web app under /auth when SHOPIFY_API_KEY and SHOPIFY_APP_URL are
set (the receiver itself never imports worker code). `/auth` sends the merchant to the shop's authorize page with
our scopes, the callback address and a state that is signed (so it cannot be made up) and single use (its nonce is
taken from Redis once). The callback checks Shopify's HMAC of the query, the shop's domain, the timestamp's age and
the state, in that order, then trades the code for an expiring offline token and its refresh token and stores
them. Anything wrong is a 400 that says what, and nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import shopify  # type: ignore[import-untyped]
from flask import Blueprint, Flask, current_app, redirect, request
from redis import Redis
from werkzeug.wrappers import Response

from config.settings import Settings, SettingsError
from worker import bootstrap
from worker.adapters.shopify.grants import AUTHORIZATION_CODE, TokenEndpoint, TokenRefused
from worker.adapters.shopify.scopes import SCOPES
from worker.adapters.shopify.transport import ShopifyError, validated_shop_domain
from worker.adapters.tokens import ShopCredentials
from worker.bootstrap import Services
from worker.services import credentials

log = logging.getLogger(__name__)

STATE_SECONDS = 600  # the merchant has ten minutes to approve
MAX_TIMESTAMP_AGE = 600
MAX_CLOCK_SKEW = 60
STATE_KEY = "shopworker:oauth-state:"
CALLBACK_PATH = "/auth/callback"

bp = Blueprint("install", __name__)


class BadCallback(ValueError):
    """Why an install request or callback is refused, in words for the merchant."""


@dataclass
class Installer:
    services: Services
    endpoint: TokenEndpoint
    redis: Redis
    clock: Callable[[], float] = time.time

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def credentials(self) -> ShopCredentials:
        assert self.services.credentials is not None
        return self.services.credentials

    @property
    def redirect_uri(self) -> str:
        return f"{self.settings.shopify_app_url}{CALLBACK_PATH}"

    def shop_of(self, raw: str | None) -> str:
        if not raw:
            raise BadCallback("shop is missing")
        try:
            shop = validated_shop_domain(raw)
        except ValueError:
            raise BadCallback(f"shop {raw[:100]!r} is not a *.myshopify.com domain") from None
        if shop != raw.strip().lower():
            raise BadCallback(f"shop {raw[:100]!r} is not a *.myshopify.com domain")
        allowed = self.settings.allowed_shops
        if allowed and shop not in allowed:
            raise BadCallback(f"shop {shop} is not in ALLOWED_SHOPS")
        return shop

    def authorize_url(self, shop: str) -> str:
        """Shopify's authorize page for the shop, with a fresh state remembered for STATE_SECONDS."""
        nonce = secrets.token_urlsafe(18)
        self.redis.set(f"{STATE_KEY}{nonce}", shop, ex=STATE_SECONDS, nx=True)
        state = self._sign(f"{shop}|{int(self.clock())}|{nonce}")
        return self._session_class()(shop, self.settings.shopify_api_version).create_permission_url(
            list(SCOPES), self.redirect_uri, state
        )

    def check_callback(self, args: Mapping[str, list[str]]) -> tuple[str, str]:
        """(shop, code) of a callback that passes every check; the state is used up by the last one."""
        for name in ("code", "hmac", "shop", "state", "timestamp"):
            if not args.get(name) or not args[name][0]:
                raise BadCallback(f"{name} is missing")
        repeated = sorted(name for name, values in args.items() if len(values) > 1)
        if repeated:
            raise BadCallback(f"{', '.join(repeated)} given more than once")
        params = {name: values[0] for name, values in args.items()}
        if not any(self._session_class(secret).validate_hmac(params) for secret in self.settings.api_secrets):
            raise BadCallback("the HMAC does not match the query (not signed by Shopify with this app's secret)")
        shop = self.shop_of(params["shop"])
        try:
            timestamp = int(params["timestamp"])
        except ValueError:
            raise BadCallback("timestamp is not a number") from None
        now = self.clock()
        if timestamp < now - MAX_TIMESTAMP_AGE or timestamp > now + MAX_CLOCK_SKEW:
            raise BadCallback("the timestamp is stale (more than 10 minutes from now)")
        self._use_state(params["state"], shop)
        return shop, params["code"]

    def install(self, shop: str, code: str) -> None:
        """Trade the code, keep the tokens, and send whatever waited for the shop's credentials."""
        grant = self.endpoint.authorization_code(shop, code)
        self.credentials.install(shop, AUTHORIZATION_CODE, grant)
        credentials.resume(self.services, shop)

    def _use_state(self, state: str, shop: str) -> None:
        payload = self._verified(state)
        if payload is None:
            raise BadCallback("the state was not issued by this app")
        state_shop, issued, nonce = payload
        if state_shop != shop:
            raise BadCallback("the state was issued for another shop")
        if issued < self.clock() - STATE_SECONDS:
            raise BadCallback("the state expired: start the install again")
        if self.redis.getdel(f"{STATE_KEY}{nonce}") is None:
            raise BadCallback("the state is unknown or was already used: start the install again")

    def _sign(self, payload: str) -> str:
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._mac(body, self.settings.api_secrets[0])}"

    def _verified(self, state: str) -> tuple[str, int, str] | None:
        body, _, mac = state.partition(".")
        if not any(hmac.compare_digest(mac, self._mac(body, secret)) for secret in self.settings.api_secrets):
            return None
        try:
            shop, issued, nonce = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode().split("|")
            return shop, int(issued), nonce
        except ValueError:
            return None

    @staticmethod
    def _mac(body: str, secret: str) -> str:
        return hmac.new(f"oauth-state:{secret}".encode(), body.encode(), hashlib.sha256).hexdigest()

    def _session_class(self, secret: str | None = None) -> type:
        """ShopifyAPI's Session keeps the app's key and secret on the class: a subclass per app keeps ours apart
        from any other use of the library in the process."""
        return type(
            "AppSession",
            (shopify.Session,),
            {"api_key": self.settings.shopify_api_key, "secret": secret or self.settings.api_secrets[0]},
        )


def _installer() -> Installer:
    return current_app.extensions["shopworker_installer"]


def _refuse(reason: str, status: int = 400) -> Response:
    return Response(f"{reason}\n", status=status, mimetype="text/plain")


@bp.get("")
def start() -> Response:
    installer = _installer()
    try:
        shop = installer.shop_of(request.args.get("shop"))
    except BadCallback as error:
        return _refuse(str(error))
    return redirect(installer.authorize_url(shop), code=302)


@bp.get("/callback")
def callback() -> Response:
    installer = _installer()
    try:
        shop, code = installer.check_callback(request.args.to_dict(flat=False))
    except BadCallback as error:
        log.warning("install callback refused: %s", error)
        return _refuse(str(error))
    try:
        installer.install(shop, code)
    except TokenRefused as refusal:
        return _refuse(f"Shopify refused the authorization code: {refusal}")
    except ShopifyError as error:
        return _refuse(f"Shopify could not be reached to finish the install: {error}", status=502)
    log.info("installed", extra={"shop": shop})
    return Response(f"shopworker is installed on {shop}.\n", status=200, mimetype="text/plain")


def init_app(app: Flask, settings: Settings, redis: Redis | None = None) -> None:
    """Serve /auth and /auth/callback from `app`; tests pass their own settings and Redis."""
    if not settings.shopify_api_key or not settings.shopify_app_url:
        raise SettingsError("SHOPIFY_API_KEY and SHOPIFY_APP_URL are needed to install the app on a shop")
    if redis is None:
        if not settings.redis_url:
            raise SettingsError("REDIS_URL is not set: the install's state is kept in Redis")
        redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    services = bootstrap.build(settings, redis=redis)
    assert services.credentials is not None and services.credentials.endpoint is not None
    app.extensions["shopworker_installer"] = Installer(services, services.credentials.endpoint, redis)
    app.register_blueprint(bp, url_prefix="/auth")

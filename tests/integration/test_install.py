"""Installing the app with the authorization code grant: /auth sends the merchant to Shopify with our scopes and a
signed single-use state; /auth/callback checks Shopify's HMAC, the shop, the timestamp and the state before trading
the code, and stores nothing when any of them is wrong."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from config.settings import Settings
from tests.conftest import SECRET
from tests.fakeshopify import FakeApp, FakeShop, RunningFakeShop, serve_fake_shop
from tests.fakeshopify.oauth import FAKE_CLIENT_ID
from worker.adapters.db import make_engine
from worker.adapters.shopify.scopes import SCOPES
from worker.adapters.tables.credentials import shop_credentials
from worker.web import create_app

SHOP = "layered-jewelry.myshopify.com"
OTHER = "starlow.myshopify.com"
APP_URL = "https://shopworker.example.com"


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    app = FakeApp(client_secret=SECRET, scopes=",".join(SCOPES))
    with serve_fake_shop(shops={SHOP: FakeShop(access_token=""), OTHER: FakeShop(access_token="")}, oauth=app) as f:
        yield f


@pytest.fixture
def web_settings(settings: Settings, fake: RunningFakeShop) -> Settings:
    return replace(settings, shopify_api_key=FAKE_CLIENT_ID, shopify_app_url=APP_URL, shopify_admin_url=fake.shops_url)


@pytest.fixture
def client(web_settings: Settings):  # noqa: ANN201
    app = create_app(web_settings)
    yield app.test_client()
    installer = app.extensions["shopworker_installer"]
    for redis in (app.extensions["shopworker_intake"].redis, installer.redis):
        redis.close()
    installer.credentials.store.engine.dispose()


@pytest.fixture
def stored(web_settings: Settings) -> Iterator:
    engine = make_engine(web_settings.database_url, web_settings.database_schema)

    def count() -> int:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(shop_credentials)).scalar_one()

    yield count
    engine.dispose()


def signed(params: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    """The query Shopify sends back: its parameters sorted, joined with &, HMAC-SHA256 in hex."""
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


def resigned(query: dict[str, str], secret: str = SECRET, **changes: str) -> dict[str, str]:
    return signed({**{k: v for k, v in query.items() if k != "hmac"}, **changes}, secret)


def start_install(client, shop: str = SHOP) -> dict[str, list[str]]:  # noqa: ANN001
    response = client.get(f"/auth?shop={shop}")
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", shop, "/admin/oauth/authorize")
    return parse_qs(location.query)


def callback_query(fake: RunningFakeShop, state: str, shop: str = SHOP, **overrides: str) -> dict[str, str]:
    params = {"code": fake.oauth.issue_code(shop), "host": "YWRtaW4", "shop": shop, "state": state}
    params["timestamp"] = str(int(time.time()))
    return signed({**params, **overrides})


def test_the_install_redirect_asks_for_our_scopes_offline_with_the_callback_and_a_state(client):
    query = start_install(client)
    assert query["client_id"] == [FAKE_CLIENT_ID]
    assert query["scope"] == [",".join(SCOPES)]
    assert query["redirect_uri"] == [f"{APP_URL}/auth/callback"]
    assert "grant_options[]" not in query  # offline access: no per-user token
    assert len(query["state"][0]) > 40


def test_a_valid_callback_stores_an_expiring_token_with_its_refresh_token(client, fake, stored, web_settings, redis):
    state = start_install(client)["state"][0]
    response = client.get("/auth/callback", query_string=callback_query(fake, state))

    assert response.status_code == 200, response.text
    assert f"installed on {SHOP}" in response.text
    assert stored() == 1
    assert fake.oauth.grants == [(SHOP, "authorization_code")]
    assert fake.oauth.live_tokens(SHOP) == 1


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda q: {**q, "hmac": "0" * 64}, "the HMAC does not match"),
        (lambda q: {**q, "code": "another"}, "the HMAC does not match"),
        (lambda q: resigned(q, "not-our-secret"), "the HMAC does not match"),
        (lambda q: resigned(q, timestamp=str(int(time.time()) - 3600)), "the timestamp is stale"),
        (lambda q: resigned(q, state="forged.0000"), "the state was not issued by this app"),
        (lambda q: resigned(q, shop="evil.example.com"), "is not a *.myshopify.com domain"),
        (lambda q: resigned(q, shop=OTHER), "the state was issued for another shop"),
        (lambda q: {k: v for k, v in q.items() if k != "state"}, "state is missing"),
    ],
    ids=[
        "bad hmac",
        "changed code",
        "other secret",
        "stale",
        "forged state",
        "not myshopify",
        "other shop",
        "no state",
    ],
)
def test_a_bad_callback_is_refused_with_its_reason_and_nothing_is_stored(client, fake, stored, tamper, reason):
    state = start_install(client)["state"][0]

    response = client.get("/auth/callback", query_string=tamper(callback_query(fake, state)))

    assert response.status_code == 400
    assert reason in response.text
    assert stored() == 0
    assert fake.oauth.grants == []


def test_a_state_works_once(client, fake, stored):
    state = start_install(client)["state"][0]
    assert client.get("/auth/callback", query_string=callback_query(fake, state)).status_code == 200

    again = client.get("/auth/callback", query_string=callback_query(fake, state))

    assert again.status_code == 400
    assert "the state is unknown or was already used" in again.text
    assert fake.oauth.grants == [(SHOP, "authorization_code")]


def test_a_code_shopify_refuses_stores_nothing(client, fake, stored):
    state = start_install(client)["state"][0]
    query = resigned(callback_query(fake, state), code="never-issued")

    response = client.get("/auth/callback", query_string=query)

    assert response.status_code == 400
    assert "Shopify refused the authorization code" in response.text and "invalid_grant" in response.text
    assert stored() == 0


@pytest.mark.parametrize("shop", ["", "evil.example.com", "layered-jewelry", "a.myshopify.com.evil.io"])
def test_an_install_for_something_that_is_not_a_shop_is_refused(client, shop):
    response = client.get("/auth", query_string={"shop": shop} if shop else {})
    assert response.status_code == 400
    assert "shop" in response.text

"""What the worker sends to Shopify's token endpoint for each grant, and what it makes of the answers (responses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses

from worker.adapters.shopify import ShopifyClient, ShopifyError, ShopifyUnauthorized
from worker.adapters.shopify.grants import TokenEndpoint, TokenRefused

SHOP = "starlow.myshopify.com"
URL = f"https://{SHOP}/admin/oauth/access_token"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CLIENT = {"client_id": ["app-id"], "client_secret": ["app-secret"]}


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint("app-id", "app-secret", now=lambda: NOW, sleep=lambda _s: None)


def form(api: Any, index: int = -1) -> dict[str, list[str]]:
    return parse_qs(api.calls[index].request.body)


def test_the_client_credentials_grant_sends_the_apps_id_and_secret_and_keeps_the_days_expiry(api, endpoint):
    api.post(URL, json={"access_token": "shpat_day", "scope": "read_orders,write_orders", "expires_in": 86399})

    grant = endpoint.client_credentials(SHOP)

    assert form(api) == {**CLIENT, "grant_type": ["client_credentials"]}
    assert (grant.access_token, grant.scopes) == ("shpat_day", ("read_orders", "write_orders"))
    assert grant.access_expires_at == NOW + timedelta(seconds=86399)
    assert (grant.refresh_token, grant.refresh_expires_at) == (None, None)


def test_an_authorization_code_asks_for_an_expiring_offline_token_and_its_refresh_token(api, endpoint):
    api.post(
        URL,
        json={
            "access_token": "shpat_hour",
            "scope": "read_orders",
            "expires_in": 3600,
            "refresh_token": "shprt_first",
            "refresh_token_expires_in": 7776000,
        },
    )

    grant = endpoint.authorization_code(SHOP, "the-code")

    assert form(api) == {**CLIENT, "code": ["the-code"], "expiring": ["1"]}
    assert grant.access_expires_at == NOW + timedelta(hours=1)
    assert (grant.refresh_token, grant.refresh_expires_at) == ("shprt_first", NOW + timedelta(days=90))


def test_a_refresh_sends_the_refresh_token_grant(api, endpoint):
    api.post(URL, json={"access_token": "shpat_next", "expires_in": 3600, "refresh_token": "shprt_next"})

    grant = endpoint.refresh(SHOP, "shprt_first")

    assert form(api) == {**CLIENT, "grant_type": ["refresh_token"], "refresh_token": ["shprt_first"]}
    assert grant.refresh_token == "shprt_next"


def test_a_refusal_is_final_and_says_shopifys_words_without_the_secret(api, endpoint):
    api.post(URL, status=400, json={"error": "invalid_grant", "error_description": "The refresh token was used"})

    with pytest.raises(TokenRefused, match="invalid_grant: The refresh token was used") as refused:
        endpoint.refresh(SHOP, "shprt_used")
    assert "app-secret" not in str(refused.value) and "shprt_used" not in str(refused.value)
    assert len(api.calls) == 1


def test_an_unavailable_endpoint_is_tried_again_then_reported_as_transient(api, endpoint):
    api.post(URL, status=503)
    api.post(URL, status=503)
    api.post(URL, json={"access_token": "shpat_late", "expires_in": 86399})
    assert endpoint.client_credentials(SHOP).access_token == "shpat_late"

    api.post(URL, status=502)
    with pytest.raises(ShopifyError, match="could not be reached after 3 attempts: HTTP 502") as error:
        endpoint.client_credentials(SHOP)
    assert not isinstance(error.value, TokenRefused)


def test_an_answer_without_a_token_is_an_error(api, endpoint):
    api.post(URL, json={"scope": "read_orders"})
    with pytest.raises(ShopifyError, match="without an access token"):
        endpoint.client_credentials(SHOP)


class Tokens:
    def __init__(self) -> None:
        self.renewed: list[str] = []

    def token(self) -> str:
        return "shpat_old"

    def renew(self, rejected: str) -> str:
        self.renewed.append(rejected)
        return "shpat_new"


GRAPHQL = f"https://{SHOP}/admin/api/2026-04/graphql.json"


def test_a_401_renews_the_token_once_and_sends_the_request_again_with_the_new_one(api):
    tokens = Tokens()
    client = ShopifyClient(SHOP, tokens, "2026-04", sleep=lambda _s: None, max_attempts=1)
    api.post(GRAPHQL, status=401, json={"errors": "[API] Invalid API key or access token"})
    api.post(GRAPHQL, json={"data": {"ok": True}})

    assert client.graphql("query Ping { ok }") == {"ok": True}
    assert tokens.renewed == ["shpat_old"]
    assert [call.request.headers["X-Shopify-Access-Token"] for call in api.calls] == ["shpat_old", "shpat_new"]


def test_a_401_on_the_renewed_token_too_is_not_tried_a_third_time(api):
    client = ShopifyClient(SHOP, Tokens(), "2026-04", sleep=lambda _s: None)
    api.post(GRAPHQL, status=401, json={"errors": "[API] Invalid API key or access token"})

    with pytest.raises(ShopifyUnauthorized, match="HTTP 401: \\[API\\] Invalid API key"):
        client.graphql("query Ping { ok }")
    assert len(api.calls) == 2

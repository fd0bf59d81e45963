"""`shopworker shops` and `shopworker subscribe` against the fake Admin API: credentials added, listed, checked and
removed without a secret ever printed; subscriptions created once however often the command runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from config.settings import Settings
from tests.fakeshopify import FakeApp, FakeShop, RunningFakeShop, serve_fake_shop
from tests.fakeshopify.oauth import FAKE_CLIENT_ID
from tests.support import TEST_SECRET
from worker.adapters.shopify.scopes import SCOPES
from worker.cli import register
from worker.services.reconciliation import needed_topics

OWNED = "charms-fr.myshopify.com"
STATIC_SHOP = "little-twinkle-stars.myshopify.com"
NARROW = "starlow.myshopify.com"
STATIC_TOKEN = "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"
APP_URL = "https://shopworker.example.com"


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    app = FakeApp(client_secret=TEST_SECRET, scopes=",".join(SCOPES), owned_shops={OWNED})
    shops = {
        OWNED: FakeShop(access_token=""),
        STATIC_SHOP: FakeShop(access_token=STATIC_TOKEN, scopes=SCOPES),
        NARROW: FakeShop(access_token="shpat_narrow00000000", scopes=("read_orders", "write_returns")),
    }
    with serve_fake_shop(shops=shops, oauth=app) as running:
        yield running


@pytest.fixture
def env(settings: Settings, fake: RunningFakeShop) -> dict[str, str]:
    return {
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "SHOPIFY_API_KEY": FAKE_CLIENT_ID,
        "SHOPIFY_APP_URL": APP_URL,
        "REDIS_URL": settings.redis_url or "",
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "SHOPIFY_ADMIN_URL": fake.shops_url,
        "SHOPIFY_ACCESS_TOKENS": f"{STATIC_SHOP}={STATIC_TOKEN},{NARROW}=shpat_narrow00000000",
        "SHOP_POLICIES": f"{STATIC_SHOP}=little-twinkle-stars",
        "SHOPIFY_ACCESS_TOKEN": "",
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(register(), list(args), env=env, input=stdin)


def test_shops_are_added_listed_and_checked_and_no_secret_is_ever_printed(env, fake):
    added = run(env, "shops", "add", OWNED, "--grant", "client-credentials")
    assert added.exit_code == 0, added.output
    assert fake.oauth.grants == [(OWNED, "client_credentials")]

    listed = run(env, "shops", "list")
    checked = run(env, "shops", "check")

    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert set(lines) == {OWNED, STATIC_SHOP, NARROW}
    assert "client_credentials  active  10 scopes" in lines[OWNED]
    assert checked.exit_code == 1  # one shop lacks scopes
    report = {line.split(":")[0]: line for line in checked.stdout.splitlines()}
    assert report[OWNED] == f"{OWNED}: works, 10/10 scopes"
    assert report[STATIC_SHOP] == f"{STATIC_SHOP}: works, 10/10 scopes"
    assert report[NARROW].startswith(
        f"{NARROW}: works, 2/10 scopes; lacks write_orders, read_fulfillments, read_products,"
    )
    assert checked.stderr.strip() == "error: 1 shop(s) need attention"
    everything = added.output + listed.output + checked.output
    issued = list(fake.oauth.tokens)
    assert all(secret not in everything for secret in [STATIC_TOKEN, TEST_SECRET, *issued])


def test_a_static_token_is_read_from_standard_input_and_a_shop_can_be_removed(env, fake):
    env = {**env, "SHOPIFY_ACCESS_TOKENS": ""}
    added = run(env, "shops", "add", STATIC_SHOP, "--grant", "static", stdin=f"{STATIC_TOKEN}\n")
    assert added.exit_code == 0 and STATIC_TOKEN not in added.output
    assert run(env, "shops", "check", STATIC_SHOP).exit_code == 0

    assert run(env, "shops", "remove", STATIC_SHOP).exit_code == 0
    again = run(env, "shops", "remove", STATIC_SHOP)
    assert (again.exit_code, again.stderr.strip()) == (2, f"error: no stored credentials for {STATIC_SHOP}")


def test_add_explains_a_refusal_in_one_line_and_stores_nothing(env, fake):
    refused = run(env, "shops", "add", NARROW, "--grant", "client-credentials")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error: {NARROW}'s token endpoint refused: HTTP 400: unauthorized_client")
    assert "Traceback" not in refused.output
    not_a_shop = run(env, "shops", "add", "example.com", "--grant", "static")
    assert (not_a_shop.exit_code, not_a_shop.stderr.count("\n")) == (2, 1)


def test_authorization_code_prints_the_install_link(env):
    result = run(env, "shops", "add", NARROW, "--grant", "authorization-code")
    assert result.stdout.strip().startswith(f"Open {APP_URL}/auth?shop={NARROW} ")


def test_subscribe_creates_what_is_missing_once(env, fake):
    state = fake.shops[STATIC_SHOP]
    state.webhook_subscriptions.append(
        {"id": "gid://shopify/WebhookSubscription/1", "topic": "ORDERS_CREATE", "uri": f"{APP_URL}/webhooks"}
    )
    state.webhook_topics = ["ORDERS_UPDATED"]  # delivered somewhere else: ours is still missing

    first = run(env, "subscribe", "--shop", STATIC_SHOP)
    second = run(env, "subscribe", "--shop", STATIC_SHOP)

    assert first.exit_code == 0, first.output
    created = [name for name, _variables in state.mutations if name == "CreateWebhookSubscription"]
    assert len(created) == len(needed_topics()) - 1
    assert {s["topic"] for s in state.webhook_subscriptions} == {t.upper().replace("/", "_") for t in needed_topics()}
    assert all(s["uri"] == f"{APP_URL}/webhooks" for s in state.webhook_subscriptions)
    assert second.stdout.strip() == f"{STATIC_SHOP}: nothing to create; {len(needed_topics())} already subscribed"
    assert len([n for n, _v in state.mutations if n == "CreateWebhookSubscription"]) == len(created)

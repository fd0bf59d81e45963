"""Per-shop credentials against the fake Admin API's token endpoint, on SQLite and PostgreSQL with a real Redis:
each grant, renewal before expiry, a 401 renewed once, refresh-token rotation, one renewal at a time across
processes, refusals that mark a shop needs_reinstall, uninstalls, and tokens kept encrypted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from config.settings import Settings
from queueing.keys import NEEDS_REINSTALL_KEY
from tests.conftest import SECRET
from tests.fakeshopify import FakeApp, FakeShop, RunningFakeShop, serve_fake_shop
from tests.fakeshopify.oauth import FAKE_CLIENT_ID
from worker.adapters.credentials import NEEDS_REINSTALL, UNINSTALLED, CredentialsStore, CredentialsUnreadable, Vault
from worker.adapters.db import make_engine
from worker.adapters.shopify import ShopifyClient
from worker.adapters.shopify.grants import AUTHORIZATION_CODE, CLIENT_CREDENTIALS, STATIC
from worker.adapters.shopify.scopes import SCOPES
from worker.adapters.tables.credentials import shop_credentials
from worker.adapters.tokens import NeedsReinstall, NoCredentials, ShopCredentials

OWNED = "charms-fr.myshopify.com"  # client credentials
INSTALLED = "starlow.myshopify.com"  # authorization code
STATIC_SHOP = "little-twinkle-stars.myshopify.com"
STATIC_TOKEN = "shpat_0123456789abcdef0123456789abcdef"
HOUR = 3600.0


@dataclass
class Clock:
    """One clock for the fake Shopify and the worker, moved by the test instead of waited for."""

    t: float = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()

    def seconds(self) -> float:
        return self.t

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[RunningFakeShop]:
    app = FakeApp(client_secret=SECRET, scopes=",".join(SCOPES), owned_shops={OWNED}, clock=clock.seconds)
    shops = {OWNED: FakeShop(access_token=""), INSTALLED: FakeShop(access_token=""), STATIC_SHOP: FakeShop()}
    shops[STATIC_SHOP].access_token = STATIC_TOKEN
    with serve_fake_shop(shops=shops, oauth=app) as running:
        yield running


@pytest.fixture
def settings(settings: Settings, fake: RunningFakeShop) -> Settings:
    return replace(
        settings,
        shopify_api_key=FAKE_CLIENT_ID,
        shopify_admin_url=fake.shops_url,
        shop_policies={OWNED: "charms-fr", INSTALLED: "starlow", STATIC_SHOP: "little-twinkle-stars"},
        shopify_access_tokens={STATIC_SHOP: STATIC_TOKEN},
    )


@pytest.fixture
def engines(settings: Settings) -> Iterator[list]:
    made: list = []
    yield made
    for engine in made:
        engine.dispose()


@pytest.fixture
def process(settings: Settings, redis, clock: Clock, engines: list):  # noqa: ANN001, ANN201
    """Builds the credentials service as one worker process would: its own engine, the shared Redis."""

    def build(configured: Settings = settings) -> ShopCredentials:
        engine = make_engine(configured.database_url, configured.database_schema)
        engines.append(engine)
        return ShopCredentials.build(configured, engine, redis, now=clock.now)

    return build


@pytest.fixture
def credentials(process) -> ShopCredentials:  # noqa: ANN001
    return process()


def client_for(credentials: ShopCredentials, fake: RunningFakeShop, shop: str) -> ShopifyClient:
    return ShopifyClient(shop, credentials.source(shop), "2026-04", base_url=fake.shops_url, sleep=lambda _s: None)


def install(credentials: ShopCredentials, fake: RunningFakeShop, shop: str = INSTALLED) -> None:
    """What the install callback does once Shopify has redirected with a code."""
    assert credentials.endpoint is not None and fake.oauth is not None
    grant = credentials.endpoint.authorization_code(shop, fake.oauth.issue_code(shop))
    credentials.install(shop, AUTHORIZATION_CODE, grant)


def test_a_shop_owned_by_the_apps_organization_gets_its_token_by_client_credentials_and_keeps_it_a_day(
    credentials, fake, clock
):
    client = client_for(credentials, fake, OWNED)
    assert client.granted_scopes() == list(SCOPES)
    clock.t += 20 * HOUR
    client.granted_scopes()
    assert fake.oauth.grants == [(OWNED, CLIENT_CREDENTIALS)]

    clock.t += 4 * HOUR  # the day's token is about to run out: renewed before it does
    client.granted_scopes()
    assert fake.oauth.grants == [(OWNED, CLIENT_CREDENTIALS)] * 2
    assert fake.shops[OWNED].unauthorized == 0


def test_an_installed_shops_expiring_token_is_renewed_with_a_refresh_token_that_rotates(credentials, fake, clock):
    install(credentials, fake)
    first = credentials.store.get(INSTALLED)
    assert first.grant_type == AUTHORIZATION_CODE and first.refresh_token and first.access_expires_at
    client = client_for(credentials, fake, INSTALLED)
    for _hour in range(3):
        clock.t += HOUR
        client.granted_scopes()

    assert [grant for _shop, grant in fake.oauth.grants] == ["authorization_code"] + ["refresh_token"] * 3
    assert fake.oauth.refusals == [] and fake.shops[INSTALLED].unauthorized == 0
    # Shopify replaced the refresh token each time; the first one is refused from then on.
    assert credentials.store.get(INSTALLED).refresh_token != first.refresh_token
    assert (
        fake.oauth.answer(
            INSTALLED,
            {
                "client_id": FAKE_CLIENT_ID,
                "client_secret": SECRET,
                "grant_type": "refresh_token",
                "refresh_token": first.refresh_token,
            },
        )[1]["error"]
        == "invalid_grant"
    )


def test_a_token_shopify_stops_taking_early_is_renewed_once_and_the_request_sent_again(credentials, fake):
    install(credentials, fake)
    client = client_for(credentials, fake, INSTALLED)
    fake.oauth.tokens[credentials.store.get(INSTALLED).access_token].revoked = True

    assert client.granted_scopes() == list(SCOPES)
    assert fake.shops[INSTALLED].unauthorized == 1
    assert [grant for _shop, grant in fake.oauth.grants] == ["authorization_code", "refresh_token"]


def test_two_processes_renewing_at_once_lose_no_token(process, fake, clock):
    first, second = process(), process()
    install(first, fake)
    clock.t += HOUR
    tokens: list[str] = []
    start = threading.Barrier(2)

    def renew(credentials: ShopCredentials) -> None:
        start.wait()
        tokens.append(credentials.token(INSTALLED))

    threads = [threading.Thread(target=renew, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(tokens) == 2 and tokens[0] == tokens[1]
    assert [grant for _shop, grant in fake.oauth.grants] == ["authorization_code", "refresh_token"]
    assert fake.oauth.refusals == []
    assert fake.oauth.accepts(INSTALLED, tokens[0])


def test_a_refused_refresh_marks_the_shop_needs_reinstall_until_it_is_installed_again(credentials, fake, clock, redis):
    install(credentials, fake)
    fake.oauth.revoke(INSTALLED)
    clock.t += HOUR

    with pytest.raises(NeedsReinstall, match="invalid_grant"):
        credentials.token(INSTALLED)
    stored = credentials.store.get(INSTALLED)
    assert stored.status == NEEDS_REINSTALL
    assert b"invalid_grant" in redis.hget(NEEDS_REINSTALL_KEY, INSTALLED)
    asked = len(fake.oauth.grants) + len(fake.oauth.refusals)
    with pytest.raises(NeedsReinstall):
        credentials.token(INSTALLED)
    assert len(fake.oauth.grants) + len(fake.oauth.refusals) == asked  # a dead refresh token is not tried again

    install(credentials, fake)
    assert credentials.token(INSTALLED)
    assert redis.hget(NEEDS_REINSTALL_KEY, INSTALLED) is None


def test_a_refused_client_credentials_grant_is_asked_again_after_a_while(credentials, fake, clock):
    fake.oauth.owned_shops.clear()
    with pytest.raises(NeedsReinstall, match="unauthorized_client"):
        credentials.token(OWNED)
    assert credentials.store.get(OWNED).status == NEEDS_REINSTALL
    fake.oauth.owned_shops.add(OWNED)
    with pytest.raises(NeedsReinstall):
        credentials.token(OWNED)
    clock.t += 5 * 60
    assert fake.oauth.accepts(OWNED, credentials.token(OWNED))


def test_a_static_token_is_stored_and_a_401_on_it_marks_the_shop_until_a_new_token_is_configured(
    credentials, fake, process, settings
):
    client = client_for(credentials, fake, STATIC_SHOP)
    client.granted_scopes()
    assert credentials.store.get(STATIC_SHOP).grant_type == STATIC

    fake.shops[STATIC_SHOP].access_token = "shpat_rotated_in_the_admin"
    with pytest.raises(NeedsReinstall, match="static access token"):
        client.granted_scopes()
    assert credentials.store.get(STATIC_SHOP).status == NEEDS_REINSTALL

    updated = process(replace(settings, shopify_access_tokens={STATIC_SHOP: "shpat_rotated_in_the_admin"}))
    client_for(updated, fake, STATIC_SHOP).granted_scopes()
    assert updated.store.get(STATIC_SHOP).status == "active"


def test_an_uninstall_drops_the_tokens_and_a_revoked_static_token_is_not_taken_up_again(credentials, fake):
    install(credentials, fake)
    credentials.token(STATIC_SHOP)
    for shop in (INSTALLED, STATIC_SHOP):
        assert credentials.uninstall(shop)
        stored = credentials.store.get(shop)
        assert (stored.status, stored.access_token, stored.refresh_token) == (UNINSTALLED, None, None)
        with pytest.raises(NoCredentials, match="uninstalled"):
            credentials.token(shop)
    assert not credentials.can_act_for(STATIC_SHOP)
    assert credentials.token(OWNED)  # the other shops carry on


def test_tokens_are_stored_encrypted_and_survive_a_key_rotation(settings, redis, fake, clock, engines):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine = make_engine(settings.database_url, settings.database_schema)
    engines.append(engine)
    before = ShopCredentials.build(replace(settings, credentials_keys=(old,)), engine, redis, now=clock.now)
    install(before, fake)
    token = before.token(INSTALLED)
    with engine.connect() as connection:
        row = connection.execute(select(shop_credentials)).first()
    assert token not in str(tuple(row)) and before.store.get(INSTALLED).refresh_token not in str(tuple(row))

    rotating = CredentialsStore(engine, Vault([new, old]))
    assert rotating.get(INSTALLED).access_token == token
    assert rotating.rekey() == 1
    assert CredentialsStore(engine, Vault([new])).get(INSTALLED).access_token == token
    with pytest.raises(CredentialsUnreadable):
        CredentialsStore(engine, Vault([old])).get(INSTALLED)


def test_a_shop_with_no_way_in_has_no_credentials(credentials):
    with pytest.raises(NoCredentials, match="no credentials"):
        credentials.token("unknown-shop.myshopify.com")
    assert not credentials.can_act_for("unknown-shop.myshopify.com")

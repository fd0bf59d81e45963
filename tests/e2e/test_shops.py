"""Five stores from one deployment, each with its own credentials (a static token, two client credentials grants,
two installs through /auth), under their own seed policies, with tokens that expire every few seconds: every
action reaches its own shop, nothing fails, and uninstalling one shop stops it and touches no other."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select

from tests.conftest import SECRET
from tests.fakeshopify import FakeApp, FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.fakeshopify.oauth import FAKE_CLIENT_ID
from tests.fakeshopify.orders import SUNGLASSES_LINE_ID, SUNGLASSES_PRODUCT_ID, SWIMSUIT_PRODUCT_ID
from tests.support import headers_for
from worker.adapters import tables
from worker.adapters.shopify.scopes import SCOPES
from worker.adapters.tables.credentials import shop_credentials
from worker.adapters.tables.returns import returns

pytestmark = pytest.mark.e2e

STATIC = "little-twinkle-stars"
OWNED = ("charms-fr", "starlightes")  # the client credentials grant
INSTALLED = ("layered-jewelry", "starlow")  # installed through /auth
STORES = (STATIC, *OWNED, *INSTALLED)
STATIC_TOKEN = "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"
LIFETIME = 4  # seconds: every token expires several times during the run
ORDERS_PER_WAVE = 2
SHIPPED_LONG_AGO = "2026-03-03T09:00:00-05:00"  # past every store's escalation threshold by now


def domain(store: str) -> str:
    return f"{store}.myshopify.com"


def order_id(store: int, wave: int, n: int) -> int:
    return 7_000_000_000 + store * 10_000 + wave * 100 + n


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    app = FakeApp(
        client_secret=SECRET,
        scopes=",".join(SCOPES),
        owned_shops={domain(store) for store in OWNED},
        access_lifetime=LIFETIME,
        client_credentials_lifetime=LIFETIME,
    )
    shops = {domain(store): FakeShop(access_token="") for store in STORES}
    shops[domain(STATIC)].access_token = STATIC_TOKEN
    for state in shops.values():
        state.add_product(SUNGLASSES_PRODUCT_ID, "Accessories", ["summer"])
        state.add_product(SWIMSUIT_PRODUCT_ID, "Swimwear", [])
    with serve_fake_shop(shops=shops, oauth=app) as running:
        yield running


@pytest.fixture
def deployment(service, fake: RunningFakeShop, tmp_path: Path):  # noqa: ANN001, ANN201
    locations = tmp_path / "locations.toml"
    locations.write_text("# no locations: orders are not split in this run\n")
    service.env.update(
        {
            "SHOPIFY_API_KEY": FAKE_CLIENT_ID,
            "SHOPIFY_APP_URL": f"http://127.0.0.1:{service.port}",
            "SHOPIFY_ADMIN_URL": fake.shops_url,
            "SHOPIFY_ACCESS_TOKENS": f"{domain(STATIC)}={STATIC_TOKEN}",
            "SHOP_POLICIES": ",".join(f"{domain(store)}={store}" for store in STORES),
            "LOCATIONS_FILE": str(locations),
        }
    )
    service.env.pop("SHOPIFY_ACCESS_TOKEN", None)
    service.start_web("worker.web:create_app()")
    return service


def install_through_auth(service, fake: RunningFakeShop, shop: str) -> None:  # noqa: ANN001
    """The merchant opens /auth, approves on Shopify, and Shopify redirects to the callback with a signed query."""
    start = requests.get(f"http://127.0.0.1:{service.port}/auth", params={"shop": shop}, allow_redirects=False)
    assert start.status_code == 302, start.text
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    params = {"code": fake.oauth.issue_code(shop), "shop": shop, "state": state, "timestamp": str(int(time.time()))}
    message = "&".join(f"{key}={value}" for key, value in sorted(params.items()))
    params["hmac"] = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    callback = requests.get(f"http://127.0.0.1:{service.port}/auth/callback", params=params, timeout=10)
    assert callback.status_code == 200, callback.text


def deliver(service, shop: str, topic: str, payload: dict, event_id: str) -> None:  # noqa: ANN001
    body = json.dumps(payload).encode()
    answer = requests.post(service.url, data=body, headers=headers_for(body, topic, SECRET, shop, event_id), timeout=10)
    assert answer.status_code == 200, answer.text


def send_wave(service, fake: RunningFakeShop, wave: int, stores: tuple[str, ...] = STORES) -> None:  # noqa: ANN001
    """For each store: new orders, each shipped long ago (flagged and escalated at once: tags and a note sent to
    the shop) and a return requested (read from the shop and judged under the store's policy)."""
    for index, store in enumerate(STORES):
        if store not in stores:
            continue
        shop = domain(store)
        for n in range(ORDERS_PER_WAVE):
            number = order_id(index, wave, n)
            order = example_order(id=number, admin_graphql_api_id=f"gid://shopify/Order/{number}", name=f"#{number}")
            fake.shops[shop].add_order(order, location_id=1)
            return_gid = fake.shops[shop].add_return(number, [(SUNGLASSES_LINE_ID, 1, "unwanted")])
            fulfillment = {
                "id": number + 1,
                "order_id": number,
                "status": "success",
                "created_at": SHIPPED_LONG_AGO,
                "updated_at": SHIPPED_LONG_AGO,
                "tracking_company": "USPS",
                "tracking_numbers": [f"9400{number}"],
                "shipment_status": "in_transit",
                "line_items": [{"id": SUNGLASSES_LINE_ID, "quantity": 1}],
            }
            returned = {
                "id": int(return_gid.rsplit("/", 1)[1]),
                "admin_graphql_api_id": return_gid,
                "status": "requested",
                "order": {"id": number, "admin_graphql_api_id": f"gid://shopify/Order/{number}"},
            }
            deliver(service, shop, "orders/create", order, f"order-{number}")
            deliver(service, shop, "fulfillments/create", fulfillment, f"fulfillment-{number}")
            deliver(service, shop, "returns/request", returned, f"return-{number}")


def settled(service) -> bool:  # noqa: ANN001
    """Every job taken and done, every event logged as processed, no action left to send. (The event log alone
    would look settled after the first few events, before the worker reached the rest of the queue.)"""
    with Redis.from_url(service.redis.url) as redis:
        if Queue("shopworker", connection=redis).count or StartedJobRegistry("shopworker", connection=redis).count:
            return False
    records = service.records()
    try:
        with records.db.engine.connect() as connection:
            events = connection.execute(select(tables.events.c.status)).scalars().all()
            actions = connection.execute(select(tables.outbox.c.status)).scalars().all()
        return bool(events) and set(events) <= {"processed", "stale"} and "pending" not in actions
    finally:
        records.db.engine.dispose()


def rows(service, table) -> list[dict]:  # noqa: ANN001
    records = service.records()
    try:
        with records.db.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(select(table))]
    finally:
        records.db.engine.dispose()


def test_five_stores_run_from_one_deployment_each_with_its_own_credentials(deployment, fake):
    service = deployment
    for store in INSTALLED:
        install_through_auth(service, fake, domain(store))
    service.start_worker()

    send_wave(service, fake, wave=1)
    service.wait_for(lambda: settled(service), seconds=180)
    time.sleep(LIFETIME + 1)  # every token handed out so far has expired
    fake.oauth.revoke(domain(OWNED[0]))  # and one shop's token stops working before its time: a 401 mid-run
    send_wave(service, fake, wave=2)
    service.wait_for(lambda: settled(service), seconds=180)

    actions = rows(service, tables.outbox)
    assert actions and {a["status"] for a in actions} == {"sent"}
    assert FailedJobRegistry("shopworker", connection=Redis.from_url(service.redis.url)).count == 0
    for index, store in enumerate(STORES):
        state = fake.shops[domain(store)]
        for wave in (1, 2):
            for n in range(ORDERS_PER_WAVE):
                assert state.tags[f"gid://shopify/Order/{order_id(index, wave, n)}"] == [
                    "vip",
                    "late-delivery",
                    "late-delivery-escalated",
                ]
        # Each shop's requests came with its own tokens: a fake shop takes no other shop's.
        assert {name for name, _v in state.mutations} >= {"AddTags", "SetOrderNote"}
    judged = {(r["shop"], r["policy_name"]) for r in rows(service, returns)}
    assert judged == {(domain(store), store) for store in STORES}

    grants = [(shop.split(".")[0], grant) for shop, grant in fake.oauth.grants]
    for store in INSTALLED:
        assert grants.count((store, "refresh_token")) >= 1  # renewed mid-run with the rotating refresh token
    for store in OWNED:
        assert grants.count((store, "client_credentials")) >= 2
    assert fake.oauth.refusals == []
    stored = {row["shop"]: row for row in rows(service, shop_credentials)}
    assert {stored[domain(s)]["grant_type"] for s in STORES} == {"static", "client_credentials", "authorization_code"}
    assert {row["status"] for row in stored.values()} == {"active"}
    ready = requests.get(f"http://127.0.0.1:{service.port}/readyz", timeout=10).json()
    assert ready["shops"] == {}


def test_uninstalling_one_shop_stops_it_and_touches_no_other(deployment, fake):
    service = deployment
    for store in INSTALLED:
        install_through_auth(service, fake, domain(store))
    gone, other = domain(INSTALLED[1]), domain(OWNED[1])
    send_wave(service, fake, wave=1)  # queued while no worker runs: the actions are written, not yet sent
    for shop, number in ((gone, 1), (other, 2)):  # shipped today: a late check is scheduled for each
        fresh = {
            "id": 8_000_000_000 + number,
            "order_id": order_id(0, 1, 0),
            "status": "success",
            "created_at": datetime.now(UTC).isoformat(),
            "updated_at": datetime.now(UTC).isoformat(),
            "shipment_status": "in_transit",
            "line_items": [],
        }
        deliver(service, shop, "fulfillments/create", fresh, f"fresh-{number}")
    other_check = f"{other.replace('.', '_')}-{8_000_000_002}"

    deliver(service, gone, "app/uninstalled", {"id": 1, "domain": gone}, "uninstalled-1")
    fake.oauth.revoke(gone)
    service.start_worker()
    service.wait_for(lambda: settled(service), seconds=180)
    send_wave(service, fake, wave=2)
    service.wait_for(lambda: settled(service), seconds=180)

    actions = rows(service, tables.outbox)
    by_shop: dict[str, set[str]] = {}
    for action in actions:
        by_shop.setdefault(action["shop"], set()).add(action["status"])
    assert by_shop.pop(gone) == {"cancelled"}
    assert all(a["last_error"] == "the app was uninstalled from the shop" for a in actions if a["shop"] == gone)
    assert len(by_shop) == len(STORES) - 1 and all(statuses == {"sent"} for statuses in by_shop.values())
    assert fake.shops[gone].mutations == []
    stored = {row["shop"]: row for row in rows(service, shop_credentials)}
    assert (stored[gone]["status"], stored[gone]["access_token"], stored[gone]["refresh_token"]) == (
        "uninstalled",
        None,
        None,
    )
    assert {row["status"] for shop, row in stored.items() if shop != gone} == {"active"}
    assert any(r["shop"] == gone for r in rows(service, tables.orders))  # records stay until shop/redact
    scheduled = ScheduledJobRegistry("shopworker", connection=Redis.from_url(service.redis.url)).get_job_ids()
    assert [job for job in scheduled if job.startswith("late-")] == [f"late-{other_check}-late"]

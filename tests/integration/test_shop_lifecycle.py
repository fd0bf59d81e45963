"""A shop's credentials over its life, through the real queue and jobs: a shop whose token endpoint refuses waits
(its actions pending, /readyz saying needs_reinstall) while the others carry on, and resumes once reinstalled; an
uninstall cancels what the shop had not sent, unschedules its checks, and leaves the other shops alone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import SECRET
from tests.fakeshopify import FakeApp, FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.fakeshopify.oauth import FAKE_CLIENT_ID
from tests.support import Stack, body_of
from worker.adapters import tables
from worker.adapters.shopify.grants import AUTHORIZATION_CODE
from worker.adapters.shopify.scopes import SCOPES
from worker.services import credentials as shop_lifecycle

OWNED = "charms-fr.myshopify.com"
INSTALLED = "starlow.myshopify.com"


@pytest.fixture
def fake() -> Iterator[RunningFakeShop]:
    app = FakeApp(client_secret=SECRET, scopes=",".join(SCOPES), owned_shops={OWNED})
    with serve_fake_shop(
        shops={OWNED: FakeShop(access_token=""), INSTALLED: FakeShop(access_token="")}, oauth=app
    ) as f:
        yield f


@pytest.fixture
def shops(stack: Stack, fake: RunningFakeShop) -> Stack:
    settings = replace(
        stack.services.settings,
        shopify_api_key=FAKE_CLIENT_ID,
        shopify_admin_url=fake.shops_url,
        shop_policies={OWNED: "charms-fr", INSTALLED: "starlow"},
    )
    stack.rebuild(settings)
    install(stack, fake)
    return stack


def install(stack: Stack, fake: RunningFakeShop) -> None:
    credentials = stack.services.credentials
    grant = credentials.endpoint.authorization_code(INSTALLED, fake.oauth.issue_code(INSTALLED))
    credentials.install(INSTALLED, AUTHORIZATION_CODE, grant)
    shop_lifecycle.resume(stack.services, INSTALLED)


def ship_late_order(stack: Stack, fake: RunningFakeShop, shop: str, number: int, shipped_at: str) -> None:
    order = example_order(id=number, admin_graphql_api_id=f"gid://shopify/Order/{number}", name=f"#{number}")
    fake.shops[shop].add_order(order, location_id=1)
    fulfillment = {
        "id": number + 1,
        "order_id": number,
        "status": "success",
        "created_at": shipped_at,
        "updated_at": shipped_at,
        "shipment_status": "in_transit",
        "line_items": [],
    }
    stack.deliver("orders/create", body_of(order), f"order-{number}", shop=shop)
    stack.deliver("fulfillments/create", body_of(fulfillment), f"fulfillment-{number}", shop=shop)


LONG_AGO = "2026-03-03T09:00:00-05:00"


def outbox_by_shop(stack: Stack) -> dict[str, set[tuple[str, str | None]]]:
    found: dict[str, set[tuple[str, str | None]]] = {}
    for row in stack.rows(tables.outbox):
        found.setdefault(row["shop"], set()).add((row["status"], row["last_error"]))
    return found


def test_a_refused_shop_waits_with_its_actions_pending_while_the_others_go_on_and_resumes_once_reinstalled(shops, fake):
    fake.oauth.revoke(INSTALLED)  # the refresh token too: only a reinstall helps
    for shop, number in ((OWNED, 1001), (INSTALLED, 2001)):
        ship_late_order(shops, fake, shop, number, LONG_AGO)
    shops.work()

    actions = outbox_by_shop(shops)
    assert {status for status, _error in actions[OWNED]} == {"sent"}
    assert {status for status, _error in actions[INSTALLED]} == {"pending"}
    assert all("needs_reinstall" in (error or "") for _status, error in actions[INSTALLED])
    assert shops.failed_jobs() == []
    assert {row["status"] for row in shops.rows(tables.events)} == {"processed"}
    ready = shops.client.get("/readyz").json
    assert ready["shops"] == {INSTALLED: "needs_reinstall"}
    assert any("invalid_grant" in warning for warning in ready["warnings"])

    install(shops, fake)
    shops.work()

    assert {status for status, _error in outbox_by_shop(shops)[INSTALLED]} == {"sent"}
    assert fake.shops[INSTALLED].tags["gid://shopify/Order/2001"][-1] == "late-delivery-escalated"
    assert shops.client.get("/readyz").json["shops"] == {}
    shops.client.application.extensions["shopworker_db_probe"].dispose()


def test_an_uninstall_cancels_what_the_shop_had_not_sent_and_unschedules_its_checks_and_no_other_shops(shops, fake):
    today = datetime.now(UTC) - timedelta(hours=1)
    for shop, number in ((OWNED, 1001), (INSTALLED, 2001)):
        ship_late_order(shops, fake, shop, number, LONG_AGO)
        ship_late_order(shops, fake, shop, number + 10, today.isoformat())  # its check is scheduled for later
    shops.deliver("app/uninstalled", body_of({"id": 1, "domain": INSTALLED}), "uninstalled", shop=INSTALLED)
    fake.oauth.revoke(INSTALLED)
    shops.work()

    actions = outbox_by_shop(shops)
    assert actions[INSTALLED] == {("cancelled", "the app was uninstalled from the shop")}
    assert {status for status, _error in actions[OWNED]} == {"sent"}
    assert fake.shops[INSTALLED].mutations == []
    scheduled = shops.services.jobs.queue.scheduled_job_registry.get_job_ids()
    assert [job for job in scheduled if "starlow" in job] == []
    assert [job for job in scheduled if "charms-fr" in job] != []
    stored = shops.services.credentials.store.get(INSTALLED)
    assert (stored.status, stored.access_token, stored.refresh_token) == ("uninstalled", None, None)
    assert shops.services.credentials.store.get(OWNED).status == "active"
    assert {row["id"] for row in shops.rows(tables.orders) if row["shop"] == INSTALLED} == {2001, 2011}
    assert shops.services.shopify_for(INSTALLED) is None

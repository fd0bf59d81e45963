"""The outbox: intended Shopify actions survive any retry on either side and are performed once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import Settings
from tests.fakeshopify import FakeShop, serve_fake_shop
from tests.support import fake_shop_clients, rebuilt
from worker import bootstrap, jobs, periodic
from worker.adapters.outbox import add_actions
from worker.domain.actions import PlannedAction

SHOP = "fake-shop.myshopify.com"
ORDER = "gid://shopify/Order/5001"


@pytest.fixture
def services(settings: Settings) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(settings)
    bootstrap.install(built)
    yield built
    bootstrap.install(None)
    built.engine.dispose()


def tag_order(services: bootstrap.Services, key: str = "late:7101") -> int:
    with services.engine.begin() as connection:
        action = PlannedAction(SHOP, "add_tags", ORDER, {"tags": ["late-delivery"]}, key)
        return add_actions(connection, [action], services.now()).ids[key]


def test_the_same_intended_action_written_twice_is_one_action(services):
    assert tag_order(services) == tag_order(services)
    assert len(services.outbox.list()) == 1


def test_an_unknown_action_is_refused_before_anything_is_written(services):
    with pytest.raises(ValueError, match="unknown outbox action"), services.engine.begin() as connection:
        add_actions(connection, [PlannedAction(SHOP, "delete_shop", ORDER, {}, "k")], services.now())


def test_without_credentials_an_action_is_kept_as_a_dry_run(services):
    action_id = tag_order(services)
    assert jobs.send_action({"action_id": action_id}) == "dry_run"
    assert services.outbox.get(action_id).status == "dry_run"
    assert jobs.send_action({"action_id": action_id}) == "dry_run"
    assert services.outbox.get(action_id).attempts == 1


@pytest.fixture
def shop() -> Iterator:
    state = FakeShop()
    with serve_fake_shop(state) as running:
        yield running


def connect(services: bootstrap.Services, shop) -> bootstrap.Services:  # noqa: ANN001
    settings = replace(services.settings, shopify_access_token=shop.access_token)
    return rebuilt(services, settings, shopify=fake_shop_clients(shop))


def test_with_credentials_the_action_is_performed_once_even_if_the_job_runs_twice(services, shop):
    services = connect(services, shop)
    action_id = tag_order(services)
    assert jobs.send_action({"action_id": action_id}) == "sent"
    assert jobs.send_action({"action_id": action_id}) == "sent"
    assert shop.state.tags[ORDER] == ["late-delivery"]
    assert len(shop.state.mutations_named("AddTags")) == 1


def test_a_transient_shopify_failure_keeps_the_action_pending_and_is_raised_for_retry(services, shop):
    services = connect(services, shop)
    action_id = tag_order(services)
    shop.state.inject("500")  # a mutation is not sent again by the client: the job's retry sends it
    with pytest.raises(Exception, match="500"):
        jobs.send_action({"action_id": action_id})
    action = services.outbox.get(action_id)
    assert (action.status, action.attempts) == ("pending", 1)
    assert jobs.send_action({"action_id": action_id}) == "sent"


def test_a_refusal_by_shopify_is_final_and_recorded(services, shop):
    services = connect(services, shop)
    closed = shop.state.add_return(5001, [(11001, 1, "defective")], status="CLOSED")
    with services.engine.begin() as connection:
        approve = PlannedAction(SHOP, "approve_return", closed, {}, "r")
        action_id = add_actions(connection, [approve], services.now()).ids["r"]
    assert jobs.send_action({"action_id": action_id}) == "failed"
    assert "refused" in services.outbox.get(action_id).last_error


def test_actions_whose_sender_was_never_queued_are_sent_by_the_resend_sweep(services):
    action_id = tag_order(services)
    assert jobs.resend_pending_actions() == 0
    services.now = lambda: datetime.now(UTC) + timedelta(minutes=10)
    assert jobs.resend_pending_actions() == 1
    (job,) = services.jobs.queue.get_jobs()
    assert job.args == [{"action_id": action_id}]


def test_periodic_work_is_scheduled_once_per_slot_however_many_workers_seed_it(services):
    now = datetime(2026, 3, 2, 12, 1, tzinfo=UTC)
    periodic.seed(services.jobs, now)
    periodic.seed(services.jobs, now)
    scheduled = services.jobs.queue.scheduled_job_registry.get_job_ids()
    expected = [
        f"periodic-{name}-{int(periodic.next_slot(now, interval).timestamp())}"
        for name, (_function, interval) in periodic.SCHEDULE.items()
    ]
    assert sorted(scheduled) == sorted(expected)
    assert f"periodic-resend-pending-actions-{int(datetime(2026, 3, 2, 12, 5, tzinfo=UTC).timestamp())}" in scheduled

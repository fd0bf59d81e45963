"""`shopworker reconcile` by hand: progress on stderr, what was queued on stdout, one-line errors that exit 2."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from config.settings import Settings
from tests.fakeshopify import FakeShop, RunningFakeShop, example_order, serve_fake_shop
from tests.support import TEST_SECRET
from worker.cli import cli, register

SHOP = "fake-shop.myshopify.com"


@pytest.fixture
def shop() -> Iterator[RunningFakeShop]:
    state = FakeShop()
    state.add_order(example_order(updated_at="2026-03-01T10:00:00Z"), location_id=111)
    state.webhook_topics = ["ORDERS_CREATE"]
    with serve_fake_shop(state) as running:
        yield running


@pytest.fixture
def env(settings: Settings, shop: RunningFakeShop) -> dict[str, str]:
    return {
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "REDIS_URL": settings.redis_url or "",
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "SHOPIFY_ACCESS_TOKEN": shop.access_token,
        "SHOPIFY_ADMIN_URL": shop.base_url,
        "SHOP_POLICIES": f"{SHOP}=little-twinkle-stars",
    }


def run(env: dict[str, str], *args: str):  # noqa: ANN201 - click's Result
    return CliRunner().invoke(register(), ["reconcile", *args], env=env)


def test_reconcile_shows_its_progress_and_what_it_queued_for_each_shop(env):
    result = run(env, "--since", "2026-03-01T00:00:00Z")

    assert result.exit_code == 0, result.output
    assert f"{SHOP} orders changed" in result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"{SHOP}: changes since 2026-03-01T00:00:00+00:00: 1 orders listed, 1 fulfillments/update, 1 orders/create"
    )
    assert lines[1].startswith(f"{SHOP}: no webhook subscription for orders/updated, orders/paid")


def test_a_second_run_resumes_from_the_checkpoint_and_finds_nothing_new(env):
    assert run(env, "--since", "2026-03-01T00:00:00Z").exit_code == 0

    result = run(env, "--shop", SHOP)

    assert result.exit_code == 0, result.output
    assert "since 2026-03-01T09:55:00+00:00: 1 orders listed, nothing to queue" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "'yesterday' is not an ISO 8601 date or datetime"),
        (["--since", "2999-01-01"], "'2999-01-01' is in the future"),
        (["--shop", "not a shop"], "not a Shopify shop domain"),
    ],
    ids=["since is not a date", "since is in the future", "shop is not a shop domain"],
)
def test_bad_input_exits_2_with_one_line(env, args, message):
    result = run(env, *args)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_without_credentials_it_says_what_is_missing_and_exits_2(env):
    result = run({**env, "SHOPIFY_ACCESS_TOKEN": ""})
    named = run({**env, "SHOPIFY_ACCESS_TOKEN": ""}, "--shop", SHOP)

    assert result.exit_code == 2
    assert result.stderr == "error: no shop has credentials to reconcile with: see `shopworker shops list`\n"
    assert (named.exit_code, named.stderr) == (
        2,
        f"error: {SHOP}: no credentials (or the app was uninstalled): reconciliation reads the Admin API\n",
    )


def test_the_command_is_listed_in_the_help():
    assert "reconcile" in CliRunner().invoke(cli, ["--help"]).stdout

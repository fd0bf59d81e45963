"""`shopworker late report` and `shopworker late sweep` against a records database of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result

from config.settings import Settings
from tests.conftest import SECRET
from worker import bootstrap
from worker.adapters.tables.late import late_flags
from worker.cli import cli, late

TWINKLE = "little-twinkle-stars.myshopify.com"
STARLOW = "starlow.myshopify.com"
NOW = "2026-06-01T15:00:00Z"

Run = Callable[..., Result]


@pytest.fixture
def services(settings: Settings) -> Iterator[bootstrap.Services]:
    built = bootstrap.build(replace(settings, shop_policies={TWINKLE: "little-twinkle-stars", STARLOW: "starlow"}))
    yield built
    built.engine.dispose()


@pytest.fixture
def run(settings: Settings) -> Run:
    cli.add_command(late.group)
    env = {
        "SHOPIFY_API_SECRET": SECRET,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "REDIS_URL": settings.redis_url or "",
        "SHOP_POLICIES": f"{TWINKLE}=little-twinkle-stars,{STARLOW}=starlow",
    }
    runner = CliRunner()
    return lambda *args, **extra: runner.invoke(cli, ["late", *args], env=env | extra)


def ship(services: bootstrap.Services, shop: str, fulfillment_id: int, days_ago: int) -> None:
    shipped_at = datetime(2026, 6, 1, 15, 0, tzinfo=UTC) - timedelta(days=days_ago)
    services.records.save_fulfillment(
        shop, {"id": fulfillment_id, "order_id": 5001, "created_at": shipped_at.isoformat(), "status": "success"}
    )


def test_report_lists_the_shipments_late_now_with_their_orders_state_and_writes_nothing(services, run):
    ship(services, TWINKLE, 7101, days_ago=3)
    ship(services, TWINKLE, 7102, days_ago=35)
    ship(services, TWINKLE, 7103, days_ago=50)
    ship(services, STARLOW, 8101, days_ago=35)

    result = run("report", "--now", NOW)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["shop", "order", "fulfillment", "state", "order", "is", "elapsed", "since", "(UTC)"]
    assert [line.split()[:7] for line in lines[1:]] == [
        [TWINKLE, "5001", "7102", "late", "escalated", "24", "business"],
        [TWINKLE, "5001", "7103", "escalated", "escalated", "35", "business"],
        [STARLOW, "5001", "8101", "late", "late", "24", "business"],
    ]
    assert "shipments in transit" in result.stderr
    with services.engine.connect() as connection:
        assert connection.execute(late_flags.select()).all() == []


def test_report_can_be_limited_to_one_store(services, run):
    ship(services, TWINKLE, 7102, days_ago=35)
    ship(services, STARLOW, 8101, days_ago=35)
    result = run("report", "--store", "starlow", "--now", NOW)
    assert result.exit_code == 0, result.output
    assert [line.split()[2] for line in result.stdout.splitlines()[1:]] == ["8101"]


def test_report_says_so_when_nothing_is_late(services, run):
    ship(services, TWINKLE, 7101, days_ago=3)
    result = run("report", "--now", NOW)
    assert result.stdout == "no shipment is late at 2026-06-01T15:00:00+00:00\n"


def test_sweep_records_flags_and_cases_once(services, run):
    ship(services, TWINKLE, 7102, days_ago=35)
    ship(services, TWINKLE, 7103, days_ago=50)
    ship(services, "elsewhere.myshopify.com", 1, days_ago=50)

    first, second = run("sweep", "--now", NOW), run("sweep", "--now", NOW)

    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "2 flags, 1 cases, 5 Shopify actions queued",
        "not watched (no store policy): elsewhere.myshopify.com",
    ]
    assert second.stdout.splitlines()[0] == "0 flags, 0 cases, 0 Shopify actions queued"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["report", "--store", "nowhere"], {}, "no store policy named 'nowhere'"),
        (["sweep", "--store", "nowhere"], {}, "no store policy named 'nowhere'"),
        (["report", "--now", "yesterday"], {}, "'yesterday' is not an ISO 8601 date or datetime"),
        (["sweep", "--now", "2026-13-01"], {}, "is not an ISO 8601 date or datetime"),
        (["sweep"], {"REDIS_URL": ""}, "REDIS_URL is not set"),
        (["report"], {"SHOP_POLICIES": "shop.myshopify.com"}, "SHOP_POLICIES takes shop=policy pairs"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(services, run, args, env, message):
    result = run(*args, **env)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr

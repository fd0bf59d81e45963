"""Shared fixtures: each test gets its own Redis database and its own PostgreSQL schema or SQLite file."""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import text

from config import policies
from config.settings import Settings
from tests.fakeshopify.schema_guard import pytest_runtest_call, pytest_runtest_setup  # noqa: F401 (hooks)
from tests.support import TEST_SECRET, Stack, automate

REDIS_HOST = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXTURES = Path(__file__).parent / "fixtures"
SECRET = TEST_SECRET


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of the test's own, empty at start and emptied after. Databases are leased through a key
    in database 0, so test runs side by side on one Redis never share one."""
    control = Redis.from_url(f"{REDIS_HOST}/0")
    token = uuid.uuid4().hex
    deadline = time.monotonic() + 120
    while True:
        leased = next(
            (db for db in range(1, 15) if control.set(f"shopworker-tests:db:{db}", token, nx=True, ex=600)), None
        )
        if leased is not None:
            break
        if time.monotonic() > deadline:
            pytest.fail("no free Redis test database (1-14) for two minutes")
        time.sleep(0.05)
    url = f"{REDIS_HOST}/{leased}"
    client = Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
    if control.get(f"shopworker-tests:db:{leased}") == token.encode():
        control.delete(f"shopworker-tests:db:{leased}")
    control.close()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema of the test's own, dropped after."""
    from worker.adapters.db import make_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    yield schema
    engine = make_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str | None]:
    """(url, schema) for each database we support, migrated to the newest revision."""
    from worker.adapters.db import make_engine, upgrade

    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'records.db'}", None
    else:
        url, schema = POSTGRES_URL, request.getfixturevalue("pg_schema")
    engine = make_engine(url, schema)
    upgrade(engine)
    engine.dispose()
    return url, schema


@pytest.fixture
def settings(redis_url: str, database: tuple[str, str | None]) -> Settings:
    url, schema = database
    return Settings(api_secrets=(SECRET,), redis_url=redis_url, database_url=url, database_schema=schema)


@pytest.fixture
def stack(settings: Settings, redis: Redis) -> Iterator[Stack]:
    """A signed webhook in, records out: receiver, queue, worker and database of the test's own."""
    from webhooks import create_app
    from worker import bootstrap

    services = bootstrap.build(settings)
    bootstrap.install(services)
    yield Stack(create_app(settings, redis).test_client(), services, redis)
    bootstrap.install(None)
    services.engine.dispose()


@pytest.fixture(autouse=True)
def _collect_garbage_per_test() -> Iterator[None]:
    """Collect after each test, so a connection left open fails the test that left it, not a later one."""
    yield
    gc.collect()


@pytest.fixture
def automated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Turns a store's `[automation]` on in a copy of its policy file: automated("starlow", approve=True)."""
    yield lambda store, **switches: automate(tmp_path, monkeypatch, store, **switches)
    policies.load_policy.cache_clear()

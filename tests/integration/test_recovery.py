"""A database that refused writes for a while (read-only after a failover or a remount, or full): workers go on
without a restart once it takes writes again, and /readyz says when it cannot write."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from tests.conftest import POSTGRES_URL, SECRET
from tests.support import SHOP, body_of
from webhooks import create_app
from worker.adapters import db


def order(order_id: int) -> bytes:
    return body_of({"id": order_id, "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})


def test_after_the_database_refused_writes_the_worker_writes_again_without_a_restart(stack):
    engine = stack.services.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL keeps a session's read-only default; SQLite is opened read-only only by the OS")
    # The pool's one connection was opened while the server was read-only, and keeps that default afterwards.
    with engine.connect() as connection:
        connection.exec_driver_sql("SET SESSION default_transaction_read_only = on")
        connection.commit()
    stack.deliver("orders/create", order(1), "while-read-only")
    stack.work()
    assert stack.services.records.get_order(SHOP, 1) is None  # refused, left for its retry

    stack.deliver("orders/create", order(2), "after")
    stack.work()

    assert stack.services.records.get_order(SHOP, 2) is not None


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param(POSTGRES_URL + "?options=-c%20default_transaction_read_only%3Don", id="postgresql read-only"),
        pytest.param("sqlite:///file:{path}?mode=ro&uri=true", id="sqlite opened read-only"),
    ],
)
def test_readyz_reports_a_database_that_cannot_write(redis_url: str, tmp_path: Path, database_url: str):
    if database_url.startswith("sqlite"):
        path = tmp_path / "records.db"
        db.upgrade(db.make_engine(f"sqlite:///{path}"))
        database_url = database_url.format(path=path)
    settings = Settings(api_secrets=(SECRET,), redis_url=redis_url, database_url=database_url)
    response = readyz(settings)

    assert response.status_code == 503
    assert response.json["checks"]["database"] == "read-only: it answers but refuses writes"


def test_readyz_is_ready_with_a_database_that_takes_writes(redis_url: str, tmp_path: Path):
    settings = Settings(api_secrets=(SECRET,), redis_url=redis_url, database_url=f"sqlite:///{tmp_path / 'r.db'}")
    assert readyz(settings).json["checks"]["database"] == "ok"


def readyz(settings: Settings):  # noqa: ANN201 - a werkzeug TestResponse
    app = create_app(settings)
    try:
        return app.test_client().get("/readyz")
    finally:
        app.extensions["shopworker_db_probe"].dispose()
        app.extensions["shopworker_intake"].redis.close()

"""Liveness and readiness for the platform's router and the operator."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from queueing.keys import MISSING_WEBHOOKS_KEY, NEEDS_REINSTALL_KEY

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"redis": "ok", "database": "ok"}
    warnings: list[str] = []
    needs_reinstall: dict[str, str] = {}
    redis = current_app.extensions["shopworker_intake"].redis
    try:
        redis.ping()
        warnings = _missing_webhook_warnings(redis.hgetall(MISSING_WEBHOOKS_KEY))
        needs_reinstall = {
            shop.decode(): reason.decode() for shop, reason in sorted(redis.hgetall(NEEDS_REINSTALL_KEY).items())
        }
    except RedisError as error:
        checks["redis"] = f"unreachable: {error}"
    engine = current_app.extensions.get("shopworker_db_probe")
    if engine is None:
        settings = current_app.config["SHOPWORKER_SETTINGS"]
        engine = current_app.extensions["shopworker_db_probe"] = create_engine(settings.database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            if not _can_write(connection):
                checks["database"] = "read-only: it answers but refuses writes"
    except SQLAlchemyError as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
        if _refused_a_write(error):
            checks["database"] = "read-only: it answers but refuses writes"
    ready = all(value == "ok" for value in checks.values())
    warnings += [f"{shop} needs_reinstall: {reason}" for shop, reason in needs_reinstall.items()]
    body = {"status": "ready" if ready else "not ready", "checks": checks, "warnings": warnings}
    # A shop whose credentials stopped working is the merchant's to fix; the others are served all the same.
    body["shops"] = {shop: "needs_reinstall" for shop in needs_reinstall}
    return jsonify(body), 200 if ready else 503


def _can_write(connection: Connection) -> bool:
    """Whether a write would be taken now, without writing: PostgreSQL tells whether this session's transactions
    are read-only (a standby, or `default_transaction_read_only`); SQLite writes its header's user version back
    unchanged in a transaction that is rolled back."""
    if connection.dialect.name == "postgresql":
        return connection.execute(text("SHOW transaction_read_only")).scalar() == "off"
    version = connection.exec_driver_sql("PRAGMA user_version").scalar()
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
    finally:
        connection.exec_driver_sql("ROLLBACK")
    return True


def _refused_a_write(error: SQLAlchemyError) -> bool:
    return "readonly database" in str(error) or "read-only" in str(error)


def _missing_webhook_warnings(missing: dict[bytes, bytes]) -> list[str]:
    """Worth a look, not a reason to stop routing: the worker still reconciles what webhooks do not bring."""
    return [
        f"{shop.decode()} has no webhook subscription for {', '.join(json.loads(topics))} "
        "(subscriptions declared in shopify.app.toml are not listed by the Admin API)"
        for shop, topics in sorted(missing.items())
    ]

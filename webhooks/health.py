"""Liveness and readiness for the platform's router and the operator."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"redis": "ok", "database": "ok"}
    try:
        current_app.extensions["shopworker_intake"].redis.ping()
    except RedisError as error:
        checks["redis"] = f"unreachable: {error}"
    engine = current_app.extensions.get("shopworker_db_probe")
    if engine is None:
        settings = current_app.config["SHOPWORKER_SETTINGS"]
        engine = current_app.extensions["shopworker_db_probe"] = create_engine(settings.database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

"""The web process: receives Shopify's webhooks and answers in milliseconds."""

from __future__ import annotations

import os

from flask import Flask
from redis import Redis

from config.settings import Settings, SettingsError, load_settings


def create_app(settings: Settings | None = None, redis: Redis | None = None) -> Flask:
    """Build the web app; tests pass their own settings and Redis client instead of environment variables."""
    from config.logs import configure_logging, is_configured
    from queueing.intake import Intake
    from webhooks import health, metrics, receiver

    settings = settings or load_settings()
    if not is_configured():
        configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    if settings.prometheus_multiproc_dir:
        os.makedirs(settings.prometheus_multiproc_dir, exist_ok=True)
    if redis is None:
        if not settings.redis_url:
            raise SettingsError("REDIS_URL is not set (`shopworker serve` starts a private Redis for local use)")
        redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["SHOPWORKER_SETTINGS"] = settings
    app.extensions["shopworker_intake"] = Intake(redis, settings.queue_name, settings.dedup_seconds)
    app.register_blueprint(receiver.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    return app

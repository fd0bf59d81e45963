"""The operator pages: what the worker did, for the merchant to read and correct, behind one password.

A Flask app of its own (the receiver never imports worker code); `worker.web` mounts it under /operator.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, request
from redis import Redis

from config.settings import Settings, SettingsError, load_settings
from worker.operator.sessions import OperatorSessions

SESSION_HOURS = 12


def create_app(settings: Settings | None = None) -> Flask:
    """Build the operator app; tests pass their own settings (with a password and plain-http cookies)."""
    from flask_wtf.csrf import CSRFProtect

    from worker import bootstrap
    from worker.operator import auth, queues, views

    settings = settings or load_settings()
    check_settings(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.operator_secret_key,
        SESSION_COOKIE_NAME="shopworker_operator",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        SHOPWORKER_SETTINGS=settings,
    )
    # A page waits seconds at most for Redis, not a worker's patience.
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    app.extensions["shopworker_operator"] = bootstrap.build(settings, redis=redis)
    app.extensions["shopworker_sessions"] = OperatorSessions(redis, settings.operator_password, SESSION_HOURS * 3600)
    app.after_request(_security_headers)
    auth.init_app(app)
    CSRFProtect(app)
    app.url_map.converters.update(views.CONVERTERS)
    app.register_blueprint(views.bp)
    queues.mount(app, settings.redis_url, settings.queue_name)
    return app


def check_settings(settings: Settings) -> None:
    """What the pages cannot run without. A signing key of each process's own would log operators out at random
    (each gunicorn worker would refuse the others' cookies), so a missing one stops the web process instead."""
    if not settings.operator_password:
        raise SettingsError("OPERATOR_PASSWORD is not set: the operator pages are served only behind a password")
    if not settings.operator_secret_key:
        raise SettingsError(
            "OPERATOR_PASSWORD is set but OPERATOR_SECRET_KEY is not: set it to a long random value shared by "
            "every web process"
        )
    if not settings.redis_url:
        raise SettingsError("REDIS_URL is not set: the operator pages show and replay queued work")


# rq-dashboard's pages run inline scripts of their own and compile underscore templates (new Function); its JSON
# is escaped (queues.py), so no job text reaches them as markup.
_SCRIPTS = {"rq_dashboard": "'self' 'unsafe-inline' 'unsafe-eval'"}


def _security_headers(response: Response) -> Response:
    scripts = _SCRIPTS.get(request.blueprint or "", "'self'")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response

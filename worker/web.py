"""The deployed web process: the webhook receiver, with the operator pages under /operator when a password is set."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from config.settings import Settings, load_settings

OPERATOR_PATH = "/operator"


def create_app(settings: Settings | None = None) -> Flask:
    """The receiver app, with the operator pages when OPERATOR_PASSWORD is set and the install flow (/auth) when
    SHOPIFY_API_KEY and SHOPIFY_APP_URL are."""
    import webhooks
    from worker import install, operator

    settings = settings or load_settings()
    check_settings(settings)
    app = webhooks.create_app(settings)
    if settings.shopify_api_key and settings.shopify_app_url:
        install.init_app(app, settings)
    if settings.operator_password:
        app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
            app.wsgi_app, {OPERATOR_PATH: operator.create_app(settings)}
        )
    return app


def check_settings(settings: Settings) -> None:
    """Refuse, with a SettingsError naming the variable, what would make the web process misbehave once up."""
    if settings.operator_password:
        from worker import operator

        operator.check_settings(settings)

"""`shopworker shops` and `shopworker subscribe`: the shops shopworker acts for, their credentials (never shown),
whether they work, and the shop-specific webhook subscriptions for apps that do not declare them in
shopify.app.toml."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from worker.adapters.credentials import CredentialsUnreadable
from worker.adapters.shopify import ShopifyClient, ShopifyError
from worker.adapters.shopify.grants import CLIENT_CREDENTIALS, STATIC, Grant
from worker.adapters.shopify.scopes import SCOPES, missing
from worker.adapters.shopify.transport import validated_shop_domain
from worker.adapters.tokens import NoCredentials, ShopCredentials
from worker.cli import InputError
from worker.cli.settings import settings_from_env
from worker.services.subscriptions import subscribe as subscribe_shop

GRANT_CHOICES = {"client-credentials": CLIENT_CREDENTIALS, "authorization-code": "authorization_code", "static": STATIC}


@contextmanager
def _credentials(settings: Settings | None = None) -> Iterator[ShopCredentials]:
    from worker.adapters.db import make_engine

    settings = settings or settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set: renewals are locked per shop in Redis")
    engine = make_engine(settings.database_url, settings.database_schema)
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2)
    try:
        yield ShopCredentials.build(settings, engine, redis)
    except (RedisError, SQLAlchemyError) as error:
        raise click.ClickException(f"{type(error).__name__}: {str(error).splitlines()[0]}") from None
    except CredentialsUnreadable as error:
        raise click.ClickException(str(error)) from None
    finally:
        redis.close()
        engine.dispose()


def _shop(value: str) -> str:
    try:
        return validated_shop_domain(value)
    except ValueError as error:
        raise InputError(str(error)) from None


def _client(credentials: ShopCredentials, shop: str) -> ShopifyClient:
    settings = credentials.settings
    return ShopifyClient(
        shop, credentials.source(shop), settings.shopify_api_version, base_url=settings.shopify_admin_url
    )


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


@click.group(name="shops")
def group() -> None:
    """The shops shopworker acts for and their credentials."""


@group.command(name="list")
def list_shops() -> None:
    """Each shop: how its credentials were granted, their state, scopes, and when its tokens expire."""
    with _credentials() as credentials:
        for shop in credentials.shops():
            stored = credentials.get(shop)
            if stored is None:
                way = "client_credentials (not asked yet)" if credentials.can_act_for(shop) else "no credentials"
                click.echo(f"{shop}  {way}")
                continue
            reason = f"  ({stored.status_reason})" if stored.status != "active" and stored.status_reason else ""
            click.echo(
                f"{shop}  {stored.grant_type}  {stored.status}  {len(stored.scopes)} scopes  "
                f"token until {_when(stored.access_expires_at)}  refresh until {_when(stored.refresh_expires_at)}  "
                f"installed {_when(stored.installed_at)}{reason}"
            )


@group.command(name="add")
@click.argument("shop")
@click.option("--grant", type=click.Choice(sorted(GRANT_CHOICES)), required=True, help="How the shop's token is had.")
def add_shop(shop: str, grant: str) -> None:
    """Give shopworker a shop's credentials. client-credentials asks Shopify for a token now; authorization-code
    prints the link that installs the app; static reads an admin-created app's token from standard input."""
    shop = _shop(shop)
    settings = settings_from_env()
    if grant == "authorization-code":
        if not settings.shopify_app_url or not settings.shopify_api_key:
            raise InputError("SHOPIFY_APP_URL and SHOPIFY_API_KEY are needed to install through the browser")
        click.echo(f"Open {settings.shopify_app_url}/auth?shop={shop} and approve the app; its token is then kept.")
        return
    with _credentials(settings) as credentials:
        if grant == "static":
            token = _read_token()
            credentials.install(shop, STATIC, Grant(access_token=token, scopes=()))
        else:
            if credentials.endpoint is None:
                raise InputError("SHOPIFY_API_KEY (the app's client id) is not set")
            try:
                credentials.install(shop, CLIENT_CREDENTIALS, credentials.endpoint.client_credentials(shop))
            except ShopifyError as error:
                raise click.ClickException(str(error)) from None
        click.echo(f"{shop}: {GRANT_CHOICES[grant]} credentials stored; `shopworker shops check` tries them")


def _read_token() -> str:
    typed = click.prompt("Access token", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline()
    token = typed.strip()
    if not token or any(c.isspace() for c in token):
        raise InputError("no access token on standard input")
    return token


@group.command(name="remove")
@click.argument("shop")
def remove_shop(shop: str) -> None:
    """Forget a shop's stored credentials (its records stay)."""
    shop = _shop(shop)
    with _credentials() as credentials:
        if not credentials.remove(shop):
            raise InputError(f"no stored credentials for {shop}")
    click.echo(f"{shop}: credentials removed")


@group.command(name="check")
@click.argument("shop", required=False)
def check_shops(shop: str | None) -> None:
    """Whether each shop's credentials work, which scopes it granted and which it lacks. Exit status 1 if any
    shop's do not work or lack a scope."""
    failing = 0
    with _credentials() as credentials:
        for name in [_shop(shop)] if shop else credentials.shops():
            try:
                granted = _client(credentials, name).granted_scopes()
            except (ShopifyError, NoCredentials) as error:
                click.echo(f"{name}: {error}")
                failing += 1
                continue
            lacking = missing(granted)
            failing += bool(lacking)
            lacks = f"; lacks {', '.join(lacking)}" if lacking else ""
            click.echo(f"{name}: works, {len([s for s in granted if s in SCOPES])}/{len(SCOPES)} scopes{lacks}")
    if failing:
        raise click.ClickException(f"{failing} shop(s) need attention")


@group.command(name="rekey")
def rekey() -> None:
    """Encrypt every stored token again under the first of CREDENTIALS_KEYS (after putting a new key in front)."""
    with _credentials() as credentials:
        count = credentials.store.rekey()
    click.echo(f"{count} shop(s) encrypted under the newest key")


@click.command(name="subscribe")
@click.option("--shop", help="Only this shop (by default every shop with credentials).")
def subscribe(shop: str | None) -> None:
    """Create whatever shop-specific webhook subscription is missing for the topics shopworker acts on, pointing
    at SHOPIFY_APP_URL/webhooks. Running it again creates nothing new. Apps that declare their subscriptions in
    shopify.app.toml do not need it."""
    settings = settings_from_env()
    if not settings.shopify_app_url:
        raise InputError("SHOPIFY_APP_URL is not set: subscriptions point at <SHOPIFY_APP_URL>/webhooks")
    uri = f"{settings.shopify_app_url}/webhooks"
    failing = 0
    with _credentials(settings) as credentials:
        for name in [_shop(shop)] if shop else credentials.shops():
            try:
                created, present = subscribe_shop(_client(credentials, name), uri)
            except (ShopifyError, NoCredentials) as error:
                click.echo(f"{name}: {error}")
                failing += 1
                continue
            made = f"created {', '.join(created)}" if created else "nothing to create"
            click.echo(f"{name}: {made}; {len(present)} already subscribed")
    if failing:
        raise click.ClickException(f"{failing} shop(s) could not be subscribed")

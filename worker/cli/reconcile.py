"""`shopworker reconcile`: read back from Shopify what each shop's webhooks should have brought, and queue what the
records do not reflect (the worker processes it), now rather than at the next scheduled run."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from worker import bootstrap
from worker.adapters.shopify import ShopifyError
from worker.cli import InputError, Moment
from worker.cli.settings import services_from_env, settings_from_env
from worker.services import reconciliation


@click.command(name="reconcile")
@click.option("--shop", help="Only this shop (by default every shop with credentials).")
@click.option("--since", type=Moment(past=True), help="List changes after this moment instead of after the checkpoint.")
def command(shop: str | None, since: datetime | None) -> None:
    """Compare each shop's orders, fulfillments and returns changed since the last checkpoint with the records,
    queue an event for whatever was missed, and check the shop's webhook subscriptions."""
    settings = settings_from_env()
    if not settings.redis_url:
        raise InputError("REDIS_URL is not set")
    try:
        with services_from_env(settings) as ctx:
            shops = reconciliation.shops_to_reconcile(ctx, shop)
            if not shops:
                raise InputError("no shop has credentials to reconcile with: see `shopworker shops list`")
            for name in shops:
                _reconcile(ctx, name, since)
    except ShopifyError as error:
        raise click.ClickException(f"Shopify: {error}; a rerun resumes where this one stopped") from None
    except (RedisError, SQLAlchemyError) as error:
        raise click.ClickException(f"{type(error).__name__}: {str(error).splitlines()[0]}") from None


def _reconcile(ctx: bootstrap.Services, shop: str, since: datetime | None) -> None:
    try:
        shopify = reconciliation.shopify_of(ctx, shop)
    except (ValueError, reconciliation.NoCredentials) as error:  # not a shop domain, or nothing to read it with
        raise InputError(str(error)) from None
    missing = reconciliation.check_subscriptions(ctx, shop)
    current = reconciliation.start_pass(ctx, shop, since)
    total = shopify.count_orders_updated_since(current.since)
    with click.progressbar(length=total, label=f"{shop} orders changed", file=sys.stderr) as bar:
        report = reconciliation.run_pass(ctx, current, progress=bar.update)
    click.echo(report.describe())
    if missing:
        click.echo(f"{shop}: no webhook subscription for {', '.join(missing)}")

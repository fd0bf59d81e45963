"""`shopworker privacy`: the customer data exports written for Shopify's data requests, to hand over."""

from __future__ import annotations

import click

from worker.cli import InputError
from worker.cli.output import print_json, print_table
from worker.cli.settings import services_from_env
from worker.services.privacy import hand_over_by

EXPORT_ID_MAX = 2**31 - 1  # the exports' own row ids


@click.group(name="privacy")
def group() -> None:
    """Customers' data exports, written for Shopify's customers/data_request."""


@group.command(name="exports")
@click.option("--shop", help="Only this shop's exports.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of the table.")
def list_exports(shop: str | None, limit: int, as_json: bool) -> None:
    """Newest request first: export id, shop, customer id, when requested (UTC), the day to give it to the customer
    by, how many orders it holds."""
    with services_from_env(read_only=True) as services:
        listed = services.records.list_exports(shop, limit)
    if as_json:
        print_json(
            [
                {
                    "id": export.id,
                    "shop": export.shop,
                    "customer_id": export.customer_id,
                    "data_request_id": export.data_request_id,
                    "requested_at": export.requested_at.isoformat(),
                    "due": f"{hand_over_by(export.requested_at):%Y-%m-%d}",
                    "order_count": export.order_count,
                }
                for export in listed
            ]
        )
        return
    print_table(
        ("id", "shop", "customer", "requested", "due", "orders"),
        (
            (
                export.id,
                export.shop,
                export.customer_id,
                f"{export.requested_at:%Y-%m-%d %H:%M:%S}",
                f"{hand_over_by(export.requested_at):%Y-%m-%d}",
                export.order_count,
            )
            for export in listed
        ),
    )


@group.command(name="export")
@click.argument("export_id")
def show_export(export_id: str) -> None:
    """Print one export: everything held about the customer, as JSON, to give to them."""
    if not (export_id.isascii() and export_id.isdigit()) or int(export_id) > EXPORT_ID_MAX:
        raise InputError(f"an export id is a number (as `shopworker privacy exports` lists them), got {export_id!r}")
    with services_from_env(read_only=True) as services:
        export = services.records.get_export(int(export_id))
    if export is None:
        raise InputError(f"no export with id {export_id}")
    print_json(export.content)

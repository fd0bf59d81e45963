"""`shopworker split plan`: show how an order would be split across locations, without touching the store."""

from __future__ import annotations

import json
from typing import Any

import click

from worker.domain.split import SplitInputError, plan_input_from_json, plan_split, plan_to_json


class _InputError(click.ClickException):
    """Bad input: one line on stderr and exit status 2, like a usage error but without the usage block."""

    exit_code = 2


class _OneLineErrors(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            raise _InputError(error.format_message()) from None


@click.group(name="split")
def group() -> None:
    """Plan multi-location shipments for an order."""


@group.command(name="plan", cls=_OneLineErrors)
@click.option("--order", "order_path", required=True, help="Shopify REST order JSON (orders/create payload).")
@click.option("--inventory", "inventory_path", required=True, help="Locations and available units, as JSON.")
def plan(order_path: str, inventory_path: str) -> None:
    """Print the plan: packages, where each ships from and why, and what is backordered."""
    order, inventory = _read_json(order_path), _read_json(inventory_path)
    try:
        plan_input = plan_input_from_json(order, inventory)
    except SplitInputError as error:
        raise _InputError(str(error)) from None
    click.echo(json.dumps(plan_to_json(plan_split(plan_input)), indent=2))


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise _InputError(f"cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _InputError(f"{path} is not valid JSON: {error}") from None

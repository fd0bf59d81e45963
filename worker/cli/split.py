"""`shopworker split plan`: show how an order would be split across locations, without touching the store."""

from __future__ import annotations

import json
from typing import Any

import click

from config.policies import load_policy
from worker.cli import InputError
from worker.cli.output import print_json
from worker.domain.policy import PolicyError
from worker.domain.split import SplitInputError, plan_input_from_json, plan_split, plan_to_json


@click.group(name="split")
def group() -> None:
    """Plan multi-location shipments for an order."""


@group.command(name="plan")
@click.option("--order", "order_path", required=True, help="Shopify REST order JSON (orders/create payload).")
@click.option("--inventory", "inventory_path", required=True, help="Locations and available units, as JSON.")
@click.option("--store", help="Plan by this store policy's [split] objective; without it, the fewest packages.")
def plan(order_path: str, inventory_path: str, store: str | None) -> None:
    """Print the plan: packages, where each ships from and why, and what is backordered."""
    try:
        objective = load_policy(store).split_objective if store else "fewest_packages"
    except PolicyError as error:
        raise InputError(str(error)) from None
    order, inventory = _read_json(order_path), _read_json(inventory_path)
    try:
        plan_input = plan_input_from_json(order, inventory)
    except SplitInputError as error:
        raise InputError(str(error)) from None
    print_json(plan_to_json(plan_split(plan_input, objective=objective)))


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not valid JSON: {error}") from None

"""`shopworker returns`: dry-run a return request against a store's policy file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from config.policies import load_policy
from worker.cli import InputError
from worker.domain.policy import PolicyError
from worker.domain.returns import (
    ReturnRequestError,
    decision_to_json,
    evaluate_return,
    parse_products,
    parse_request,
    parse_timestamp,
)


@click.group(name="returns")
def group() -> None:
    """Evaluate return requests under a store's published policy."""


@group.command(name="evaluate")
@click.option("--store", required=True, help="Store name, e.g. starlow (a file in config/policies/).")
@click.option("--order", "order_path", required=True, help="Shopify order JSON (REST shape).")
@click.option("--request", "request_path", required=True, help="Return request JSON.")
@click.option("--products", "products_path", default=None, help="Product type and tags per product id (JSON).")
@click.option("--now", default=None, help="ISO-8601 time used when the request has no requested_at.")
def evaluate(store: str, order_path: str, request_path: str, products_path: str | None, now: str | None) -> None:
    """Print the decision for one return request as a JSON object."""
    try:
        policy = load_policy(store)
        order = _read_json(order_path, "order")
        request = parse_request(_read_json(request_path, "request"))
        products = parse_products(_read_json(products_path, "products")) if products_path else {}
        moment = parse_timestamp(now, "--now") if now else datetime.now(UTC)
        decision = evaluate_return(policy, order, request, products, moment)
    except (PolicyError, ReturnRequestError) as error:
        _fail(str(error))
    click.echo(json.dumps(decision_to_json(decision), indent=2))


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"{what}: cannot read {path}: {error.strerror or error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(f"{what}: {path} is not valid JSON: {error}")


def _fail(message: str) -> NoReturn:
    raise InputError(message)

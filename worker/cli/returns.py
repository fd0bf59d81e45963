"""`shopworker returns`: dry-run a return request against a store's policy file; list the worker's return
records and override their decisions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from config.policies import load_policy
from worker.adapters.returns_store import STAGE_RANK, UnknownReturn
from worker.adapters.shopify import legacy_id
from worker.bootstrap import NoQueue
from worker.cli import InputError
from worker.cli.output import OrderParam, OrderRef, print_json, print_table, resolve_order
from worker.cli.settings import services_from_env
from worker.domain.policy import FACT_VALUES, PolicyError
from worker.domain.returns import (
    ReturnRequestError,
    decision_to_json,
    evaluate_return,
    parse_products,
    parse_request,
    parse_timestamp,
)
from worker.services import return_refunds as refunds_service
from worker.services import returns as returns_service
from worker.services.return_refunds import RefundRefused


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
    print_json(decision_to_json(decision))


@group.command(name="list")
@click.option("--shop", help="Only this shop's returns.")
@click.option("--status", help="Only records in this status, e.g. awaiting_review or needs_details.")
@click.option("--stage", type=click.Choice(tuple(STAGE_RANK)), help="Only returns at this stage.")
@click.option("--order", type=OrderParam(), help="Only this order's returns (#1001, or its id).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def list_returns(shop: str | None, status: str | None, stage: str | None, order: OrderRef | None, limit: int) -> None:
    """Most recently changed first: return id, shop, order, status, decision, Shopify's status, stage (none while
    only requested), policy, why."""
    with services_from_env(read_only=True) as services:
        order_id = None
        if order is not None:
            shop, order_id = resolve_order(services.records, order, shop)
        listed = services.returns.list_returns(shop, status, limit, order_id, stages=None if stage is None else [stage])
        names = services.records.order_names((record.shop, record.order_id) for record in listed if record.order_id)
    print_table(
        ("return", "shop", "order", "status", "decision", "shopify", "stage", "policy", "by", "why"),
        (
            (
                record.return_id,
                record.shop,
                names.get((record.shop, record.order_id), record.order_id),
                record.status,
                record.decision,
                record.shopify_status,
                record.stage,
                f"{record.policy_name}@{record.policy_version}" if record.policy_name else None,
                record.overrides[-1]["by"] if record.overrides else None,
                record.reason,
            )
            for record in listed
        ),
    )


@group.command(name="override")
@click.argument("return_id")
@click.option("--decision", required=True, type=click.Choice(["approved", "declined", "partial"]))
@click.option("--by", "by", required=True, help="Who decides (kept in the record's history).")
@click.option("--why", required=True, help="Why the policy's decision is replaced.")
@click.option("--shop", help="The shop, when the same return id is recorded for several.")
def override(return_id: str, decision: str, by: str, why: str, shop: str | None) -> None:
    """Replace a return record's decision with a person's; the worker never changes it back."""
    if not by.strip() or not why.strip():
        _fail("--by and --why must say who decides and why")
    try:
        number = legacy_id(return_id)
    except ValueError:
        _fail(f"return id must be a number or a gid://shopify/Return/... id, got {return_id!r}")
    try:
        with services_from_env() as services:
            record = returns_service.override(services, number, decision, by.strip(), why.strip(), shop)
    except UnknownReturn as error:
        _fail(str(error))
    previous = record.overrides[-1]["old_decision"] or "none"
    click.echo(f"return {record.return_id} ({record.shop}): {previous} -> {record.decision} by {by.strip()}")


@group.command(name="inspect")
@click.argument("return_id")
@click.option("--line", "line_id", required=True, type=int, help="The order line item inspected.")
@click.option("--condition", type=click.Choice(sorted(FACT_VALUES["condition"])))
@click.option("--packaging", type=click.Choice(sorted(FACT_VALUES["packaging"])))
@click.option("--tags", type=click.Choice(sorted(FACT_VALUES["tags_attached"])), help="Whether the tags are on.")
@click.option("--accessories", type=click.Choice(sorted(FACT_VALUES["missing_accessories"])), help="Missing ones.")
@click.option("--by", "by", required=True, help="Who inspected the item (kept in the record).")
@click.option("--shop", help="The shop, when the same return id is recorded for several.")
def inspect(
    return_id: str,
    line_id: int,
    condition: str | None,
    packaging: str | None,
    tags: str | None,
    accessories: str | None,
    by: str,
    shop: str | None,
) -> None:
    """Record what a person found on a returned item (what Shopify's disposition cannot say), then judge the
    return again under its store's policy: prints the stage and the outcome."""
    facts = {"condition": condition, "packaging": packaging, "tags_attached": tags, "missing_accessories": accessories}
    if not any(facts.values()) or not by.strip():
        _fail("say what was found (--condition, --packaging, --tags or --accessories) and --by whom")
    number = _return_number(return_id)
    try:
        with services_from_env() as services:
            record = refunds_service.record_form(services, number, line_id, facts, by.strip(), shop)
    except (UnknownReturn, ReturnRequestError) as error:
        _fail(str(error))
    except NoQueue:
        _fail("the inspection is recorded; without REDIS_URL its refund waits for the worker's next sweep")
    outcome = (record.outcome or {}).get("outcome") or "none"
    click.echo(f"return {record.return_id} ({record.shop}): stage {record.stage or 'request'}, outcome {outcome}")


@group.command(name="refund")
@click.argument("return_id")
@click.option("--by", "by", required=True, help="Who decides (kept with the proposal).")
@click.option("--why", required=True, help="Why: a confirmation, or the reason for a changed amount.")
@click.option("--to-payment", help="Change the amount refunded to the original payment, e.g. 30.00.")
@click.option("--store-credit", help="Change the amount given as store credit, e.g. 0.")
@click.option("--shop", help="The shop, when the same return id is recorded for several.")
def refund(
    return_id: str, by: str, why: str, to_payment: str | None, store_credit: str | None, shop: str | None
) -> None:
    """Confirm a return's refund proposal, or change its amounts; the refund is then made in Shopify, once."""
    if not by.strip() or not why.strip():
        _fail("--by and --why must say who decides and why")
    number = _return_number(return_id)
    try:
        with services_from_env() as services:
            record = refunds_service.decide_refund(
                services, number, by.strip(), why.strip(), shop, to_payment, store_credit
            )
    except (UnknownReturn, RefundRefused) as error:
        _fail(str(error))
    except NoQueue:
        _fail("the refund is recorded; without REDIS_URL its sending waits for the worker's next sweep")
    plan = (record.proposal or {}).get("plan") or {}
    click.echo(
        f"return {record.return_id} ({record.shop}): refund of {plan.get('total')} {plan.get('currency')} "
        f"sent to Shopify, decided by {by.strip()}"
    )


@group.command(name="ledger")
@click.option("--shop", help="Only this shop's returns.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
def ledger(shop: str | None, limit: int) -> None:
    """Each return with a refund proposed: proposed against refunded in Shopify, and any difference flagged."""
    with services_from_env(read_only=True) as services:
        rows = services.returns.ledger(shop, limit)
    print_table(
        ("return", "shop", "stage", "currency", "proposed", "refunded", "refunds", "flag"),
        ((r.return_id, r.shop, r.stage, r.currency, r.proposed, r.refunded, r.refunds, r.flag) for r in rows),
    )


def _return_number(return_id: str) -> int:
    try:
        return legacy_id(return_id)
    except ValueError:
        _fail(f"return id must be a number or a gid://shopify/Return/... id, got {return_id!r}")


def _read_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"{what}: cannot read {path}: {error.strerror or error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(f"{what}: {path} is not valid JSON: {error}")


def _fail(message: str) -> NoReturn:
    raise InputError(message)

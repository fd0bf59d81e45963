"""The inspection stage and the refund: the second stage of one return decision.

When the parcel is back, Shopify's dispositions (read through the Admin API, never taken from the webhook's body)
and a person's inspection give the facts a request could not state; the same policy engine then decides the
refund. With `auto_refund = true` in the store's `[automation]`, the refund is made through the outbox with
`returnProcess`, once; otherwise it waits as a proposal that a person confirms or changes. `refunds/create`
closes the loop in the ledger: proposed against refunded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from config.policies import load_policy
from worker.adapters.returns_store import Inspected, ReturnRecord, ReturnRef, the_one_return
from worker.adapters.shopify import ShopifyNotFound, legacy_id, to_gid
from worker.bootstrap import Services
from worker.domain.actions import PlannedAction
from worker.domain.events import Event
from worker.domain.returns import ReturnRequestError, decision_to_json
from worker.domain.returns.inspection import (
    DISPOSITIONS,
    Findings,
    RefundPlan,
    inspect_return,
    parse_form,
    plan_from_json,
    refund_plan,
)
from worker.services import returns

log = logging.getLogger(__name__)

# The outcomes that call for returnProcess: units to process, with money or goods going back.
PERFORMED = frozenset({"full_refund", "partial_refund", "store_credit", "exchange"})
STAGE_OF = {"awaiting": "awaiting_parcel", "review": "inspection_review", "no_refund": "inspected"}


class RefundRefused(ValueError):
    """A refund a person asked for that cannot be made as asked; the message says why."""


def inspect_dispositions(ctx: Services, event: Event) -> None:
    """A disposition was made on a reverse fulfillment order: read its lines' dispositions from Shopify, find
    the return it belongs to (reading the return from Shopify if we never saw it), and judge again."""
    shop, rfo_id = event.shop, int(event.payload["id"])
    shopify = ctx.shopify_for(shop)
    if shopify is None:
        log.warning(
            "disposition on reverse fulfillment order %s kept in the event log only: without credentials its "
            "dispositions cannot be read from Shopify",
            rfo_id,
            extra={"shop": shop},
        )
        return
    try:
        rfo = shopify.fetch_reverse_fulfillment_order(to_gid("ReverseFulfillmentOrder", rfo_id))
    except ShopifyNotFound:
        log.warning("Shopify does not know reverse fulfillment order %s", rfo_id, extra={"shop": shop})
        return
    if rfo.return_id is None:
        log.warning("Shopify names no return for reverse fulfillment order %s", rfo_id, extra={"shop": shop})
        return
    return_id = legacy_id(rfo.return_id)
    record = ctx.returns.get(shop, return_id)
    if record is None or record.request is None:
        log.info("disposition for return %s, which we never saw: reading it from Shopify", return_id,
                 extra={"shop": shop})  # fmt: skip
        order_id = legacy_id(rfo.order_id) if rfo.order_id else None
        returns.judge_return(ctx, ReturnRef(shop, return_id, order_id, None))
        record = ctx.returns.get(shop, return_id)
        if record is None or record.request is None:
            return
    asked = {line["line_item_id"] for line in record.request["lines"]}
    change: dict[str, dict[str, Any]] = {}
    for line in rfo.lines:
        if line.line_item_id not in asked:
            log.warning(
                "reverse fulfillment order %s has a line (order line item %s) that return %s does not ask for: "
                "left out",
                rfo_id,
                line.line_item_id,
                return_id,
                extra={"shop": shop},
            )
            continue
        known = {kind: units for kind, units in line.dispositions.items() if kind in DISPOSITIONS}
        change[str(line.line_item_id)] = {"dispositions": {rfo.id: known}}
    reinspect(ctx, ctx.returns.merge_inspection(shop, return_id, change))


def record_form(
    ctx: Services, return_id: int, line_item_id: int, facts: Mapping[str, Any], by: str, shop: str | None = None
) -> ReturnRecord:
    """A person inspected a line (what a disposition cannot say: tags, packaging, accessories, misuse)."""
    form = parse_form(facts, f"line {line_item_id}")
    record = _one(ctx, return_id, shop)
    if record.request is None or line_item_id not in {line["line_item_id"] for line in record.request["lines"]}:
        raise ReturnRequestError(f"return {return_id} does not ask to return line item {line_item_id}")
    now = ctx.now().isoformat()
    change = {str(line_item_id): {"form": form, "by": by, "at": now}}
    return reinspect(ctx, ctx.returns.merge_inspection(record.shop, record.return_id, change))


def reinspect(ctx: Services, record: ReturnRecord) -> ReturnRecord:
    """The engine's outcome on what inspection found, recorded with the policy's version; the refund is sent
    where the store automates it, else proposed to a person."""
    if record.request is None or record.policy_name is None or record.inspection is None:
        return record
    shopify = ctx.shopify_for(record.shop)
    if shopify is None:
        log.warning("return %s inspected, but without credentials nothing can be read to judge it",
                    record.return_id, extra={"shop": record.shop})  # fmt: skip
        return record
    now = ctx.now()
    policy = load_policy(record.policy_name)
    ref = ReturnRef(record.shop, record.return_id, record.order_id, record.shopify_status)
    order, request, products = returns.gather(ctx, shopify, ref, record.request, now)
    found = {
        int(line_id): Findings(int(line_id), _units(line.get("dispositions", {})), parse_form(line.get("form", {})))
        for line_id, line in record.inspection["lines"].items()
    }
    inspection = inspect_return(policy, order, request, found, products, now)
    plan = refund_plan(inspection)
    outcome = {
        "stage": "inspection",
        "at": now.isoformat(),
        "policy_name": policy.name,
        "policy_version": policy.version,
        "outcome": inspection.outcome,
        "evaluation": decision_to_json(inspection.decision),
        "awaiting": list(inspection.awaiting),
        "conflicts": [conflict.to_json() for conflict in inspection.conflicts],
        "plan": plan.to_json(),
    }
    if inspection.outcome not in PERFORMED or not plan.lines:
        inspected = Inspected(STAGE_OF.get(inspection.outcome, "inspected"), outcome)
    else:
        proposal = {"revision": 1, "plan": plan.to_json(), "by": None, "why": None, "at": now.isoformat()}
        if policy.auto_refund:
            inspected = Inspected("refund_sent", outcome, proposal, _process_action(record, proposal, outcome))
        else:
            inspected = Inspected("proposed", outcome, proposal)
    ctx.dispatch(ctx.returns.save_inspection(record, inspected, now))
    return ctx.returns.get(record.shop, record.return_id) or record


def decide_refund(
    ctx: Services,
    return_id: int,
    by: str,
    why: str,
    shop: str | None = None,
    to_payment: str | None = None,
    store_credit: str | None = None,
) -> ReturnRecord:
    """A person confirms the proposal, or changes what goes back: the refund is then sent once, and the record
    keeps who decided, why, and the proposal they replaced. A refund Shopify refused may be decided again."""
    record = _one(ctx, return_id, shop)
    if not record.proposal:
        raise RefundRefused(f"return {return_id} has no refund proposal (stage: {record.stage or 'request'})")
    if record.refund_action_id is not None:
        sent = ctx.outbox.get(record.refund_action_id)
        if sent is not None and sent.status != "failed":
            raise RefundRefused(f"return {return_id}'s refund was already sent to Shopify ({sent.status})")
    plan = plan_from_json(record.proposal["plan"])
    changed = RefundPlan(
        plan.currency,
        plan.lines,
        _amount(to_payment, "--to-payment") if to_payment is not None else plan.to_payment,
        _amount(store_credit, "--store-credit") if store_credit is not None else plan.store_credit,
        plan.shipping,
    )
    retry = record.refund_action_id is not None
    revision = int(record.proposal["revision"]) + (1 if changed != plan or retry else 0)
    now = ctx.now()
    proposal = {"revision": revision, "plan": changed.to_json(), "by": by, "why": why, "at": now.isoformat()}
    ctx.dispatch(
        ctx.returns.decide_refund(
            record.shop, record.return_id, proposal, _process_action(record, proposal, record.outcome), now
        )
    )
    return ctx.returns.get(record.shop, record.return_id) or record


def note_processed(ctx: Services, event: Event) -> None:
    """Shopify processed the return (returns/process names no fields: a body without the return says nothing)."""
    return_id = returns.return_id_of(event.payload)
    if return_id is None:
        log.info("returns/process without a return id: nothing to record", extra={"shop": event.shop})
        return
    ctx.returns.advance_stage(event.shop, return_id, "processed", ctx.now())


def close_loop(ctx: Services, event: Event) -> None:
    """A refund was made: the return it settles is refunded, and the ledger compares it with the proposal."""
    return_id = ctx.returns.refund_return(event.shop, int(event.payload["id"]))
    if return_id is not None:
        ctx.returns.advance_stage(event.shop, return_id, "refunded", ctx.now())


def _process_action(
    record: ReturnRecord, proposal: Mapping[str, Any], outcome: Mapping[str, Any] | None
) -> PlannedAction:
    """returnProcess for this proposal: one idempotency key per return and proposal revision. Where the policy
    grants a line as an exchange, the exchange items the customer chose in Shopify go with it."""
    note = f"Refund under {record.policy_name}'s return policy, proposal {proposal['revision']}"
    lines = outcome["evaluation"]["lines"] if outcome else []
    exchange = any(line["resolution"] == "exchange" and line["decision"] == "approved" for line in lines)
    return PlannedAction(
        record.shop,
        "process_return",
        to_gid("Return", record.return_id),
        {"refund": dict(proposal["plan"]), "note": note, "exchange": exchange},
        f"returns:{record.shop}:{record.return_id}:process:{proposal['revision']}",
    )


def _units(by_order: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Units per disposition type, over every reverse fulfillment order of the line."""
    units: dict[str, int] = {}
    for dispositions in by_order.values():
        for kind, count in dispositions.items():
            units[kind] = units.get(kind, 0) + int(count)
    return units


def _amount(value: str, option: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RefundRefused(f"{option}: {value!r} is not an amount such as 12.50") from None
    if not amount.is_finite() or amount < 0:
        raise RefundRefused(f"{option}: {value!r} must be zero or more")
    return amount


def _one(ctx: Services, return_id: int, shop: str | None) -> ReturnRecord:
    return the_one_return(return_id, shop, ctx.returns.list_returns(shop=shop, return_id=return_id))

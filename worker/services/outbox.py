"""The sender: each action written to the outbox is performed in Shopify once, by a job of its own, whatever
retries happen on either side."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from worker.adapters.outbox import DONE
from worker.adapters.shopify import RefundToProcess, ShopifyError, ShopifyPort, ShopifyUserError
from worker.adapters.tokens import NeedsReinstall
from worker.bootstrap import Services
from worker.services.credentials import UNINSTALLED
from worker.services.split import apply_split_plan

# An action whose sender job was never queued (Redis was down after the commit) or was lost is sent after this.
STUCK_AFTER = timedelta(minutes=5)

Perform = Callable[[ShopifyPort, str, dict[str, Any]], Any]

# What each action does in Shopify; `target` is the gid the mutation acts on.
PERFORM: dict[str, Perform] = {
    "approve_return": lambda shopify, target, params: shopify.approve_return(target),
    "decline_return": lambda shopify, target, params: shopify.decline_return(
        target, params["reason"], params.get("note")
    ),
    "process_return": lambda shopify, target, params: shopify.process_return(
        target, refund_to_process(params["refund"], params.get("note"), params.get("exchange", False))
    ),
    "add_tags": lambda shopify, target, params: shopify.add_tags(target, params["tags"]),
    "set_order_note": lambda shopify, target, params: shopify.set_order_note(target, params["note"]),
    "apply_split_plan": apply_split_plan,
}


def refund_to_process(plan: dict[str, Any], note: str | None, exchange: bool) -> RefundToProcess:
    lines = {int(line["line_item_id"]): int(line["quantity"]) for line in plan["lines"]}
    money = (plan["to_payment"], plan["store_credit"], plan["shipping"])
    return RefundToProcess(plan["currency"], lines, *money, note=note, exchange=exchange)


def send(ctx: Services, action_id: int) -> str:
    """Perform one outbox action in Shopify. Without credentials it stays a dry-run entry; a refusal by Shopify
    is final and recorded; a transient error is recorded and raised so RQ retries with backoff."""
    action = ctx.outbox.get(action_id)
    if action is None or action.status in DONE:
        return action.status if action else "missing"
    if ctx.uninstalled(action.shop):  # written after the uninstall took the others: cancelled the same way
        ctx.outbox.settle(action.id, "cancelled", ctx.now(), error=UNINSTALLED)
        return "cancelled"
    shopify = ctx.shopify_for(action.shop)
    if shopify is None:
        ctx.outbox.settle(action.id, "dry_run", ctx.now())
        return "dry_run"
    try:
        result = PERFORM[action.action](shopify, action.target, action.params)
    except ShopifyUserError as refusal:
        ctx.outbox.settle(action.id, "failed", ctx.now(), error=str(refusal))
        return "failed"
    except NeedsReinstall as waiting:
        # Not this action's fault: it waits, pending, and is sent once the shop's credentials work again.
        ctx.outbox.settle(action.id, "pending", ctx.now(), error=str(waiting))
        return "needs_reinstall"
    except ShopifyError as error:
        ctx.outbox.settle(action.id, "pending", ctx.now(), error=str(error))
        raise
    ctx.outbox.settle(action.id, "sent", ctx.now(), result=result)
    return "sent"


def resend_stuck(ctx: Services) -> int:
    """Queue a sender job again for every action left pending too long; the sender performs each once."""
    stuck = ctx.outbox.pending(created_before=ctx.now() - STUCK_AFTER)
    ctx.dispatch(stuck)
    return len(stuck)

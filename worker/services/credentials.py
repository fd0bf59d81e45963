"""Shops coming and going. An uninstall drops the shop's credentials at once (Shopify has revoked its tokens
anyway), takes its scheduled checks off the schedule and cancels every action not yet sent, with the reason; its
records stay until `shop/redact`. Once a shop's credentials work again (a reinstall, a new token), the actions
that waited for them are sent."""

from __future__ import annotations

import logging

from worker.bootstrap import Services
from worker.services import late_deliveries

log = logging.getLogger(__name__)

UNINSTALLED = "the app was uninstalled from the shop"


def uninstall(ctx: Services, shop: str) -> dict[str, int]:
    """`app/uninstalled`; returns what it dropped: credentials, actions cancelled, checks unscheduled."""
    dropped = ctx.credentials is not None and ctx.credentials.uninstall(shop)
    cancelled = ctx.outbox.cancel_pending(shop, UNINSTALLED)
    unscheduled = late_deliveries.cancel_checks(ctx, shop)
    log.info("uninstalled: %d actions cancelled, %d checks unscheduled", cancelled, unscheduled, extra={"shop": shop})
    return {"credentials": int(dropped), "actions_cancelled": cancelled, "checks_unscheduled": unscheduled}


def resume(ctx: Services, shop: str) -> int:
    """Send the shop's waiting actions now rather than at the next resend sweep; returns how many."""
    waiting = ctx.outbox.pending(shop=shop)
    ctx.dispatch(waiting)
    return len(waiting)

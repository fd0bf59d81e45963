"""Privacy: Shopify's mandatory customer and shop requests, carried out over every area's records and every job held
in Redis, with a tombstone that keeps a later retry, replay or reconciliation from writing the data back."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from queueing.keys import DeliveryKey
from worker.adapters.records import screened
from worker.bootstrap import Services
from worker.domain.events import Event
from worker.domain.privacy import Forgotten

log = logging.getLogger(__name__)
EXPORT_DAYS = 30
# The redactions themselves always run: each is safe to run again, and a retry must finish what a failure left.
REDACTIONS = frozenset({"shop/redact", "customers/redact"})


def screen(ctx: Services, event: Event) -> Event | None:
    """The event as it may be processed after the privacy requests so far: None when its shop was redacted after
    it was sent (a late retry, a replay), its payload scrubbed when it is about a redacted customer or order; a
    skipped delivery's mark goes too (its job, like every finished job, is not kept). The shop is held until the
    job's transaction ends (alone by a redaction), so that what is read here stays true until the job's writes are
    committed."""
    if event.topic in REDACTIONS:
        ctx.db.hold_shop(event.shop, alone=True)
        return event
    customer = event.payload.get("customer")
    customer_id = customer.get("id") if isinstance(customer, dict) else None
    ctx.db.hold_shop(event.shop)  # sent with the tombstones' read, before it
    shop_redacted_at, customer_redacted = ctx.records.tombstones(
        event.shop, customer_id if isinstance(customer_id, int) else None, event.order_id
    )
    sent_before_shop_redact = (
        shop_redacted_at is not None and (event.triggered_at or event.received_at) <= shop_redacted_at
    )
    if sent_before_shop_redact:
        ctx.held_jobs.forget_delivery(DeliveryKey(event.shop, event.topic, event.event_id))
        return None
    return replace(event, payload=screened(event.topic, event.payload)) if customer_redacted else event


def redact_customer(ctx: Services, event: Event) -> None:
    """`customers/redact`: the customer's personal data scrubbed from every record and every job about them."""
    forgotten = Forgotten.from_request(event.shop, event.payload)
    if forgotten is None:
        return
    order_ids, changed = ctx.records.redact_customer(forgotten, ctx.now())
    forgotten = forgotten.with_orders(order_ids)

    def without_customer(argument: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(argument.get("topic"), str) or not isinstance(argument.get("shop"), str):
            return None  # not an event: a follow-up job holds ids only
        held = Event.from_envelope(argument)
        if not forgotten.names(held.shop, held.order_id, held.payload):
            return None
        return replace(held, payload=screened(held.topic, held.payload)).to_envelope()

    audit(ctx, event, {**changed, "jobs": ctx.held_jobs.rewrite(forgotten.shop, without_customer)})


def export_customer(ctx: Services, event: Event) -> None:
    """`customers/data_request`: what we hold about the customer, written for the merchant to hand over, and a log
    line saying where to find it and by when (it names the export, never the customer). None once the customer is
    redacted: the redaction deleted their exports, and nothing may write one back."""
    payload = event.payload
    customer_id = (payload.get("customer") or {}).get("id")
    if customer_id is None:
        return
    request_id = (payload.get("data_request") or {}).get("id")
    if ctx.records.tombstones(event.shop, customer_id, None)[1]:
        # A replay or a late retry after customers/redact: what is left of the customer is no longer theirs to have.
        log.warning("data request %s of %s not exported: the customer was redacted since", request_id, event.shop)
        return
    requested_at = event.triggered_at or event.received_at
    export = ctx.records.export_customer(
        event.shop, customer_id, payload.get("orders_requested") or [], request_id, requested_at
    )
    due = f"{hand_over_by(export.requested_at):%Y-%m-%d}"
    log.warning(
        "customer data export %s of %s is ready: give it to the customer by %s (`shopworker privacy export %s`)",
        *(export.id, event.shop, due, export.id),
        extra={"shop": event.shop, "export": export.id, "due": due},
    )


def hand_over_by(requested_at: datetime) -> datetime:
    """Shopify asks for data requests to be answered within 30 days of their receipt."""
    return requested_at + timedelta(days=EXPORT_DAYS)


def redact_shop(ctx: Services, event: Event) -> None:
    """`shop/redact`: everything held for the shop deleted, in the records and in Redis."""
    deleted = ctx.records.redact_shop(event.shop, ctx.now())
    held, keys = ctx.held_jobs.forget_shop(event.shop)
    audit(ctx, event, {**deleted, "jobs": held, "redis_keys": keys})


def audit(ctx: Services, event: Event, counts: Mapping[str, int]) -> None:
    """A row that outlives the shop's records: which destructive request ran, when, and what it removed."""
    ctx.records.audit(event.shop, event.topic, event.event_id, dict(counts), ctx.now())

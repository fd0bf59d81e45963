"""Records the operator pages are tested against: an order of a named customer, a return awaiting review, a
failed event, an open late case and flag, and a split plan, written through the stores as the worker writes them;
then, for an order's whole story, its two shipments (one delivered after its case was opened, one still
travelling), a refund and the plan's action in Shopify."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.support import FIXTURES, SHOP
from worker import bootstrap
from worker.adapters.outbox import add_actions
from worker.adapters.returns_store import AWAITING_REVIEW, Decided, ReturnRef
from worker.adapters.split_store import PLANNED, Decision
from worker.domain.actions import PlannedAction
from worker.domain.events import Event

PASSWORD = "correct horse battery staple"
ORDER = json.loads((FIXTURES / "orders" / "create" / "two_warehouses_to_france.json").read_text())
CUSTOMER_TEXTS = ("camille@example.fr", "Camille", "Durand", "12 rue des Lilas")
RETURN_ID = 901
NOW = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
EXPLANATION = "A manufacturer defect is for the store to look at: the policy says to contact us."
ARRIVED, IN_TRANSIT = 7101, 7102  # the case's shipment arrived after the case was opened; the flag's travels on
REFUND_ID = 8801


def seed(services: bootstrap.Services) -> int:
    """Write the records; returns the id of the failed event in the log."""
    records = services.records
    records.save_order(SHOP, ORDER)
    event = Event(SHOP, "orders/create", "evt-seeded", ORDER, NOW)
    records.log_event(event, "failed", "ShopifyError: 502 Bad Gateway")
    (row,) = [logged.id for logged in records.list_events(shop=SHOP) if logged.event_id == event.event_id]
    services.returns.decide(
        ReturnRef(SHOP, RETURN_ID, ORDER["id"], "requested"),
        Decided(
            status=AWAITING_REVIEW,
            decision="review",
            evaluation={
                "decision": "review",
                "lines": [
                    {
                        "line_item_id": 11002,
                        "decision": "review",
                        "resolution": "refund",
                        "refund_amount": "24.90",
                        "currency": "EUR",
                        "reasons": ["defect reported: review"],
                        "explanation": EXPLANATION,
                    }
                ],
            },
            request={
                "requested_at": "2026-03-19T10:00:00+00:00",
                "lines": [
                    {"line_item_id": 11002, "quantity": 1, "reason": "defective", "customer_note": "Camille here"}
                ],
            },
            policy_name="little-twinkle-stars",
            policy_version="3f2a9c1d",
        ),
        NOW,
    )
    services.late.write(
        flags=[_late(IN_TRANSIT, "late", "possibly held at customs", flagged_at=NOW, threshold=21)],
        cases=[_late(ARRIVED, "escalated", "in transit over 30 business days: reship or refund", opened_at=NOW)],
        actions=[],
        now=NOW,
    )
    plan = {
        "packages": 2,
        "optimal": True,
        "estimated_delivery_days": 9,
        "plan_hash": "ab12",
        "shipments": [
            {
                "location_id": "1",
                "location_name": "US warehouse",
                "estimated_delivery_days": 6,
                "lines": [{"line_item_id": 11001, "quantity": 1}],
                "why": "ready now and the fastest to France",
            },
            {
                "location_id": "2",
                "location_name": "China warehouse",
                "estimated_delivery_days": 9,
                "lines": [{"line_item_id": 11003, "quantity": 1}],
                "why": "only the China warehouse has it",
            },
        ],
        "backorders": [],
    }
    services.split.record(SHOP, ORDER["id"], Decision(PLANNED, plan_hash="ab12", plan=plan), "orders/create", NOW)
    return row


def seed_story(services: bootstrap.Services) -> None:
    """The order's shipments with tracking, a refund of the returned line, and the plan's action toward Shopify."""
    records = services.records
    for fulfillment_id, shipped, delivered, line, number in (
        (ARRIVED, "2026-02-02T15:00:00Z", "2026-03-25T08:00:00Z", 11001, "LP123456789FR"),
        (IN_TRANSIT, "2026-02-16T15:00:00Z", None, 11003, "LP987654321FR"),
    ):
        records.save_fulfillment(
            SHOP,
            {
                "id": fulfillment_id,
                "order_id": ORDER["id"],
                "status": "success",
                "created_at": shipped,
                "updated_at": delivered or shipped,
                "shipment_status": "delivered" if delivered else "in_transit",
                "tracking_company": "La Poste",
                "tracking_numbers": [number],
                "tracking_urls": [f"https://www.laposte.fr/outils/suivre-vos-envois?code={number}"],
                "line_items": [{"id": line, "quantity": 1}],
            },
        )
    services.returns.save_refund(
        {
            "shop": SHOP,
            "id": REFUND_ID,
            "order_id": ORDER["id"],
            "return_id": RETURN_ID,
            "lines": [{"line_item_id": 11002, "quantity": 1, "subtotal": "24.90", "total_tax": "0.00"}],
            "shipping_refunded": "0.00",
            "transactions": [{"amount": "24.90", "kind": "refund", "gateway": "manual", "status": "success"}],
            "total": "24.90",
            "currency": "EUR",
            "created_at": NOW,
            "recorded_at": NOW,
        }
    )
    action = PlannedAction(SHOP, "apply_split_plan", f"gid://shopify/Order/{ORDER['id']}", {"plan_hash": "ab12"}, "a")
    with services.engine.begin() as connection:
        add_actions(connection, [action], NOW)


def _late(fulfillment_id: int, state: str, reason: str, **when: object) -> dict[str, object]:
    return {
        "shop": SHOP,
        "order_id": ORDER["id"],
        "fulfillment_id": fulfillment_id,
        "state": state,
        "reason": reason,
        "status": "open",
        "elapsed_days": 31 if state == "escalated" else 22,
        "day_kind": "business",
        "calendar": "US",
        "calendar_version": "holidays 0.109",
        **when,
    }

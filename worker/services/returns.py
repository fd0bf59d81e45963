"""Returns and refunds.

A return request is judged under the shop's own published policy, with the facts only Shopify holds (which lines,
why) read through the Admin API. The decision is recorded; where the policy lets the worker act alone, the approval
or decline goes to Shopify through the outbox, otherwise the record waits for a person. Refunds are recorded with
the return they settle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from config.policies import load_policy
from worker.adapters.returns_store import AWAITING_REVIEW, Decided, ReturnRecord, ReturnRef, ReturnsStore
from worker.adapters.shopify import ShopifyNotFound, ShopifyPort, legacy_id, to_gid
from worker.bootstrap import Services
from worker.domain.actions import PlannedAction
from worker.domain.events import Event, parse_time
from worker.domain.policy import StorePolicy
from worker.domain.returns import (
    ProductFacts,
    ReturnDecision,
    ReturnRequest,
    ReturnRequestError,
    decision_to_json,
    eligible_at_request,
    evaluate_return,
    gift_flags,
    parse_products,
    parse_request,
)

SHOPIFY_STATUS_OF_TOPIC = {
    "returns/approve": "open",
    "returns/decline": "declined",
    "returns/cancel": "canceled",
    "returns/close": "closed",
}
# Shopify's ReturnDeclineReason for a decline every line of which shares the reason; OTHER otherwise.
DECLINE_REASONS = (("outside_window", "RETURN_PERIOD_ENDED"), ("final_sale", "FINAL_SALE"))
PRODUCT_FACTS_MAX_AGE = timedelta(days=1)
UNSHIPPED = frozenset({"cancelled", "error", "failure"})
NO_POLICY = "No store policy is configured for this shop (SHOP_POLICIES or DEFAULT_POLICY)."
NEEDS_DETAILS = (
    "The webhook does not say which lines are returned or why; line items are only available through the "
    "Admin API, and no SHOPIFY_ACCESS_TOKEN is configured."
)
ZERO = Decimal("0.00")
STATUS_AFTER_ACTION = {"approve_return": "auto_approved", "decline_return": "auto_declined"}


def override(ctx: Services, return_id: int, decision: str, by: str, why: str, shop: str | None = None) -> ReturnRecord:
    """A person's decision replaces the policy's; the record keeps who, when, why and what it replaced, and the
    worker never changes it back."""
    return ctx.returns.override(return_id, decision, by, why, ctx.now(), shop)


def note_shopify_status(ctx: Services, event: Event) -> None:
    """Shopify approved, declined, cancelled or closed the return: its status moves forward, never back."""
    ref = _reference(event, SHOPIFY_STATUS_OF_TOPIC[event.topic])
    ctx.returns.note_shopify_status(ref, ctx.now())


def note_reopened(ctx: Services, event: Event) -> None:
    """Shopify reopened a closed return: the one move back its status makes, and only from closed."""
    ctx.returns.note_reopened(_reference(event, "open"), ctx.now())


def judge_request(ctx: Services, event: Event, shopify_status: str | None = "requested") -> None:
    """Gather what Shopify and our records know, let the policy engine decide, record it with its action. A
    changed request (returns/update) is judged again; the same request twice changes nothing."""
    judge_return(ctx, _reference(event, shopify_status))


def judge_return(ctx: Services, ref: ReturnRef) -> None:
    """judge_request for a return known by its id: also how a disposition for a return we never saw is met."""
    store, now = ctx.returns, ctx.now()
    policy_name = ctx.settings.policy_for(ref.shop)
    if policy_name is None:
        store.hold(ref, "no_policy", NO_POLICY, now)
        return
    shopify = ctx.shopify_for(ref.shop)
    if shopify is None:
        store.hold(ref, "needs_details", NEEDS_DETAILS, now)
        return
    policy = load_policy(policy_name)
    try:
        asked = shopify.fetch_return(to_gid("Return", ref.return_id))
    except ShopifyNotFound:
        store.hold(ref, "needs_details", f"Shopify does not know return {ref.return_id}.", now)
        return
    order_id = legacy_id(asked.order_id)
    ref = replace(ref, order_id=order_id, shopify_status=asked.status)
    request: dict[str, Any] = {
        "requested_at": asked.created_at.isoformat() if asked.created_at else None,
        "lines": [
            {
                "line_item_id": line.line_item_id,
                "quantity": line.quantity,
                "reason": line.reason,
                "customer_note": line.customer_note,
                "preferred_resolution": "exchange" if asked.exchange else "refund",
            }
            for line in asked.lines
        ],
    }
    try:
        order, engine_request, products = gather(ctx, shopify, ref, request, now)
        decision = evaluate_return(policy, order, engine_request, products, now)
    except ReturnRequestError as error:
        store.hold(ref, "cannot_evaluate", str(error), now)
        return
    action = _action(policy, ref, decision) if asked.status == "requested" else None
    decided = Decided(
        status=STATUS_AFTER_ACTION.get(action.action, AWAITING_REVIEW) if action else AWAITING_REVIEW,
        decision=decision.decision,
        evaluation=decision_to_json(decision),
        request=request,
        policy_name=policy.name,
        policy_version=policy.version,
        action=action,
    )
    ctx.dispatch(store.decide(ref, decided, now))


def gather(
    ctx: Services, shopify: ShopifyPort, ref: ReturnRef, request: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], ReturnRequest, dict[int, ProductFacts]]:
    """Every fact the request carries goes to the engine: reasons and notes, each line's parcel dates, product type
    and tags, the order's discounts, taxes and refunds, gift flags, and the units of the order's other returns.
    The order comes from our records when they hold every returned line, else from Shopify."""
    store = ctx.returns
    shop, order_id, return_id = ref.shop, ref.order_id or 0, ref.return_id
    line_ids = {line["line_item_id"] for line in request["lines"]}
    order = ctx.records.get_order(shop, order_id)
    if order is None or not line_ids <= {item.get("id") for item in order.get("line_items", [])}:
        order = shopify.fetch_order(to_gid("Order", order_id))
    shipments = store.shipments(shop, order_id) or _order_shipments(order)
    delivered_at, fulfilled_at = _shipping_dates(shipments, line_ids)
    gift, to_recipient = gift_flags(order.get("note_attributes"))
    engine_request = parse_request(
        {
            "requested_at": request["requested_at"],
            "delivered_at": _iso(delivered_at),
            "fulfilled_at": _iso(fulfilled_at),
            "gift": gift,
            "gift_shipped_to_recipient": to_recipient,
            "returned_before": {str(k): v for k, v in store.returned_before(shop, order_id, return_id).items()},
            "lines": [{**line, **_line_dates(shipments, line["line_item_id"])} for line in request["lines"]],
        }
    )
    products = _product_facts(store, shopify, shop, order, line_ids, now)
    return order, engine_request, products


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _line_dates(shipments: list[dict[str, Any]], line_item_id: int) -> dict[str, str | None]:
    """A line's own parcel dates, when every shipment says which lines it holds; otherwise the request's dates
    (the latest of the parcels that may hold a returned line) stand for it."""
    if any(not shipment.get("line_items") for shipment in shipments if shipment.get("status") not in UNSHIPPED):
        return {}
    delivered_at, fulfilled_at = _shipping_dates(shipments, {line_item_id})
    if delivered_at is None and fulfilled_at is None:
        return {}
    return {"delivered_at": _iso(delivered_at), "fulfilled_at": _iso(fulfilled_at)}


def _order_shipments(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The order's own fulfillments, in the shape of our fulfillment records, for an order shipped before we
    listened to fulfillment webhooks."""
    shipments = []
    for fulfillment in order.get("fulfillments") or []:
        delivered = fulfillment.get("delivered_at")
        if not delivered and fulfillment.get("shipment_status") == "delivered":
            delivered = fulfillment.get("updated_at")
        shipments.append(
            {
                "status": fulfillment.get("status"),
                "line_items": fulfillment.get("line_items"),
                "shipped_at": parse_time(fulfillment.get("created_at")),
                "delivered_at": parse_time(delivered),
            }
        )
    return shipments


def _shipping_dates(shipments: Iterable[Mapping[str, Any]], line_ids: set[int]) -> tuple[Any, Any]:
    """The latest delivery and the latest shipping of the fulfillments holding a returned line (a fulfillment
    whose lines are unknown may hold one); the latest, because the window must not close before the last parcel."""
    holding = [
        shipment
        for shipment in shipments
        if shipment.get("status") not in UNSHIPPED
        and (not shipment.get("line_items") or line_ids & {line.get("id") for line in shipment["line_items"]})
    ]
    delivered = max((s["delivered_at"] for s in holding if s.get("delivered_at")), default=None)
    shipped = max((s["shipped_at"] for s in holding if s.get("shipped_at")), default=None)
    return delivered, shipped


def _product_facts(
    store: ReturnsStore, shopify: ShopifyPort, shop: str, order: Mapping[str, Any], line_ids: set[int], now: datetime
) -> dict[int, ProductFacts]:
    """Type and tags of the returned products, from our copy when it is less than a day old."""
    ids = {
        item["product_id"]
        for item in order.get("line_items", [])
        if item.get("id") in line_ids and isinstance(item.get("product_id"), int)
    }
    if not ids:
        return {}
    known = store.product_facts(shop, ids, fetched_since=now - PRODUCT_FACTS_MAX_AGE)
    missing = ids - known.keys()
    if missing:
        fetched = shopify.fetch_product_facts(sorted(missing))
        store.save_product_facts(shop, fetched, now)
        known.update(fetched)
    return parse_products({str(product_id): dict(facts) for product_id, facts in known.items()})


def _action(policy: StorePolicy, ref: ReturnRef, decision: ReturnDecision) -> PlannedAction | None:
    """What the worker may do alone, each if the store allows: approve a return every line of which is eligible
    (its condition is checked at inspection), decline a full decline."""
    if decision.decision != "declined" and eligible_at_request(decision) and policy.auto_approve:
        name, params = "approve_return", {}
    elif decision.decision == "declined" and policy.auto_decline:
        reason = next(
            (code for name, code in DECLINE_REASONS if all(name in line.reasons for line in decision.lines)), "OTHER"
        )
        note = " ".join(dict.fromkeys(line.explanation for line in decision.lines))
        name, params = "decline_return", {"reason": reason, "note": note}
    else:
        return None
    target = to_gid("Return", ref.return_id)
    return PlannedAction(ref.shop, name, target, params, f"returns:{ref.shop}:{ref.return_id}:{name}")


def return_id_of(payload: Mapping[str, Any]) -> int | None:
    """The return a webhook names: its `id`, else the end of its gid (returns/update carries only the gid)."""
    if payload.get("id"):
        return int(payload["id"])
    gid = payload.get("admin_graphql_api_id")
    return legacy_id(gid) if isinstance(gid, str) else None


def _reference(event: Event, shopify_status: str | None) -> ReturnRef:
    payload = event.payload
    order_id = _object(payload, "order").get("id") or payload.get("order_id")
    return ReturnRef(event.shop, return_id_of(payload) or 0, int(order_id) if order_id else None, shopify_status)


def _object(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object of the payload; Shopify sends null where there is none."""
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


# Refunds ----------------------------------------------------------------------------------------------------


def record_refund(ctx: Services, event: Event) -> None:
    refund, store = event.payload, ctx.returns
    order_id = int(refund["order_id"])
    lines = [
        {
            "line_item_id": line["line_item_id"],
            "quantity": line.get("quantity", 0),
            "subtotal": str(_amount(line, "subtotal")),
            "total_tax": str(_amount(line, "total_tax")),
        }
        for line in refund.get("refund_line_items") or []
    ]
    transactions = [
        {
            "amount": str(_decimal(transaction.get("amount"))),
            "kind": transaction.get("kind"),
            "gateway": transaction.get("gateway"),
            "status": transaction.get("status"),
        }
        for transaction in refund.get("transactions") or []
    ]
    return_id = _object(refund, "return").get("id") or store.open_return_for(
        event.shop, order_id, [line["line_item_id"] for line in lines]
    )
    store.save_refund(
        {
            "shop": event.shop,
            "id": int(refund["id"]),
            "order_id": order_id,
            "return_id": int(return_id) if return_id else None,
            "lines": lines,
            "shipping_refunded": str(
                sum((_amount(line, "subtotal_amount") for line in refund.get("refund_shipping_lines") or []), ZERO)
            ),
            "transactions": transactions,
            "total": str(
                sum(
                    (Decimal(t["amount"]) for t in transactions if t["kind"] == "refund" and t["status"] == "success"),
                    ZERO,
                )
            ),
            "currency": _currency(ctx, event.shop, order_id, refund),
            "created_at": parse_time(refund.get("created_at")),
            "recorded_at": ctx.now(),
        }
    )


def _amount(item: Mapping[str, Any], key: str) -> Decimal:
    """Shopify's money in the shop's currency: the `<key>_set` bag when given, else the plain field."""
    money = item.get(f"{key}_set")
    if isinstance(money, dict) and isinstance(money.get("shop_money"), dict):
        return _decimal(money["shop_money"].get("amount"))
    return _decimal(item.get(key))


def _decimal(value: Any) -> Decimal:
    """REST sends some amounts as JSON numbers; their shortest text is the amount Shopify meant."""
    if value is None or value == "":
        return ZERO
    return Decimal(str(value))


def _currency(ctx: Services, shop: str, order_id: int, refund: Mapping[str, Any]) -> str | None:
    for transaction in refund.get("transactions") or []:
        if transaction.get("currency"):
            return str(transaction["currency"])
    for line in refund.get("refund_line_items") or []:
        code = ((line.get("subtotal_set") or {}).get("shop_money") or {}).get("currency_code")
        if code:
            return str(code)
    order = ctx.records.get_order(shop, order_id)
    return order.get("currency") if order else None

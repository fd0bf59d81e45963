"""Answers to the adapter's mutations: each changes the fake shop the way Shopify documents it would.

From Shopify's documentation of the mutations:
- a move is refused for a closed fulfillment order, one with progress reported (the only move error code,
  CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS), one awaiting a fulfillment service, and for a
  destination that does not stock the items; a move onto a location that already has an open fulfillment order
  of the same order closes that one and recreates its lines, with the moved ones, in a new fulfillment order;
- a split of a fulfillment order that is not in a state to be split creates a replacement fulfillment order
  instead (the fake takes one handed to a fulfillment service to be such);
- an app can place up to 10 holds on one fulfillment order (FULFILLMENT_ORDER_HOLD_LIMIT_REACHED beyond).
Where the documentation is silent about a refusal (moving a fulfillment order to the location it is already at,
splitting off every unit), the fake refuses with a userError without a code; the adapter treats any refusal alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakeshopify.reads import fulfillment_order_node
from tests.fakeshopify.state import FakeFulfillmentOrder, FakeFulfillmentOrderLine, FakeShop, gid, legacy

MOVE_PROGRESS_REPORTED = "CANNOT_MOVE_FULFILLMENT_ORDER_WITH_REPORTED_PROGRESS"
HOLDS_PER_APP = 10
WITH_FULFILLMENT_SERVICE = {"SUBMITTED", "ACCEPTED", "CANCELLATION_REQUESTED", "CANCELLATION_REJECTED"}
_FINISHED = {"CLOSED", "CANCELLED", "INCOMPLETE"}


def _refusal(message: str, field: list[str] | None = None, code: str | None = None) -> list[dict[str, Any]]:
    return [{"field": field, "message": message, "code": code}]


def _plain_refusal(message: str, field: list[str] | None = None) -> list[dict[str, Any]]:
    """A refusal of a mutation whose userErrors are the plain UserError type, which has no code."""
    return [{"field": field, "message": message}]


def _short(fo: FakeFulfillmentOrder | None) -> dict[str, Any] | None:
    return {"id": gid("FulfillmentOrder", fo.id), "status": fo.status} if fo else None


def approve_return(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fake_return = shop.returns.get(legacy(variables["input"]["id"]))
    if fake_return is None or fake_return.status != "REQUESTED":
        errors = _refusal(
            "Return is not approvable. Only returns with status REQUESTED can be approved.", ["id"], "INVALID_STATE"
        )
        return {"returnApproveRequest": {"return": None, "userErrors": errors}}
    shop.approve(gid("Return", fake_return.id))
    node = {"id": gid("Return", fake_return.id), "status": fake_return.status}
    return {"returnApproveRequest": {"return": node, "userErrors": []}}


def decline_return(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    decline = variables["input"]
    fake_return = shop.returns.get(legacy(decline["id"]))
    if fake_return is None or fake_return.status != "REQUESTED":
        errors = _refusal(
            "Return is not declinable. Only returns with status REQUESTED can be declined.", ["id"], "INVALID_STATE"
        )
        return {"returnDeclineRequest": {"return": None, "userErrors": errors}}
    fake_return.status = "DECLINED"
    fake_return.decline = {"reason": decline["declineReason"], "note": decline.get("declineNote")}
    node = {"id": gid("Return", fake_return.id), "status": fake_return.status}
    return {"returnDeclineRequest": {"return": node, "userErrors": []}}


def process_return(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    """returnProcess: the units are processed and the money refunded from the parent payments named (never more
    than each has left) and as store credit; the refund is then announced to the app with refunds/create, and a
    return with every unit and every exchange item processed is closed."""
    data = variables["input"]
    fake_return = shop.returns.get(legacy(data["returnId"]))
    if fake_return is None:
        return _process_refused("Return not found.", ["input", "returnId"], "NOT_FOUND")
    if fake_return.status != "OPEN":
        return _process_refused("Return must be open to be processed.", ["input", "returnId"], "INVALID_STATE")
    lines = {line.id: line for line in fake_return.lines}
    processing = []
    for index, item in enumerate(data.get("returnLineItems") or []):
        line = lines.get(legacy(item["id"]))
        where = ["input", "returnLineItems", str(index), "quantity"]
        if line is None:
            return _process_refused("Return line item not found.", where[:-1], "NOT_FOUND")
        if item["quantity"] > line.quantity - line.processed_quantity:
            return _process_refused("Quantity exceeds the processable quantity.", where, "INVALID")
        processing.append((line, int(item["quantity"])))
    exchanges = {line.id: line for line in fake_return.exchange_lines}
    sending = []
    for index, item in enumerate(data.get("exchangeLineItems") or []):
        exchange = exchanges.get(legacy(item["id"]))
        where = ["input", "exchangeLineItems", str(index), "quantity"]
        if exchange is None:
            return _process_refused("Exchange line item not found.", where[:-1], "NOT_FOUND")
        if item["quantity"] > exchange.quantity - exchange.processed_quantity:
            return _process_refused("Quantity exceeds the processable quantity.", where, "INVALID")
        sending.append((exchange, int(item["quantity"])))
    order = shop.orders[fake_return.order_id]
    currency = order.get("currency", "USD")
    payments = {gid("OrderTransaction", int(t["id"])): t for t in shop.transactions_of(fake_return.order_id)}
    issue = (data.get("financialTransfer") or {}).get("issueRefund")
    transactions = []
    for index, parent in enumerate((issue or {}).get("orderTransactions") or []):
        paid = payments.get(parent["parentId"])
        amount = Decimal(parent["transactionAmount"]["amount"])
        where = ["input", "financialTransfer", "issueRefund", "orderTransactions", str(index)]
        if paid is None or paid["kind"] not in ("sale", "capture"):
            return _process_refused("Parent transaction not found.", where, "NOT_FOUND")
        left = Decimal(str(paid["amount"])) - shop.refunded.get(parent["parentId"], Decimal(0))
        if amount > left:
            return _process_refused(f"Refund amount {amount} exceeds the refundable amount {left}.", where, "INVALID")
        transactions.append((parent["parentId"], paid["gateway"], amount))
    credits = [
        Decimal(method["storeCreditRefund"]["amount"]["amount"])
        for method in (issue or {}).get("refundMethods") or []
        if method.get("storeCreditRefund")
    ]
    for line, units in processing:
        line.processed_quantity += units
    for exchange, units in sending:
        exchange.processed_quantity += units
    if all(line.processed_quantity >= line.quantity for line in [*fake_return.lines, *fake_return.exchange_lines]):
        fake_return.status = "CLOSED"
    for parent_id, _gateway, amount in transactions:
        shop.refunded[parent_id] = shop.refunded.get(parent_id, Decimal(0)) + amount
    if issue is not None:
        refund = _refund_made(shop, fake_return.id, order, processing, transactions, credits, data, currency)
        order.setdefault("refunds", []).append(refund)
        shop.send_webhook("refunds/create", refund)
    node = {"id": gid("Return", fake_return.id), "status": fake_return.status}
    return {"returnProcess": {"return": node, "userErrors": []}}


def _refund_made(
    shop: FakeShop,
    return_id: int,
    order: dict[str, Any],
    processing: list[Any],
    transactions: list[tuple[str, str, Decimal]],
    credits: list[Decimal],
    data: dict[str, Any],
    currency: str,
) -> dict[str, Any]:
    """The refund in the shape of the refunds/create webhook."""
    items = {int(item["id"]): item for item in order["line_items"]}
    refund_lines = []
    for line, units in processing:
        item = items[line.line_item_id]
        discounts = sum((Decimal(str(a["amount"])) for a in item.get("discount_allocations") or []), Decimal(0))
        paid = Decimal(str(item["price"])) * int(item["quantity"]) - discounts
        tax = sum((Decimal(str(t["price"])) for t in item.get("tax_lines") or []), Decimal(0))
        share = Decimal(units) / int(item["quantity"])
        refund_lines.append(
            {
                "line_item_id": line.line_item_id,
                "quantity": units,
                "subtotal": str((paid * share).quantize(Decimal("0.01"))),
                "total_tax": str((tax * share).quantize(Decimal("0.01"))),
            }
        )
    shipping = (data.get("refundShipping") or {}).get("shippingRefundAmount")
    money = [
        {"kind": "refund", "status": "success", "gateway": gateway, "amount": str(amount), "currency": currency,
         "parent_id": legacy(parent_id)}
        for parent_id, gateway, amount in transactions
    ] + [
        {"kind": "refund", "status": "success", "gateway": "shopify_store_credit", "amount": str(amount),
         "currency": currency}
        for amount in credits
    ]  # fmt: skip
    return {
        "id": shop.new_id(),
        "order_id": int(order["id"]),
        "return": {"id": return_id, "admin_graphql_api_id": gid("Return", return_id)},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": data.get("note"),
        "refund_line_items": refund_lines,
        "refund_shipping_lines": (
            [{"subtotal_amount_set": {"shop_money": {"amount": shipping["amount"], "currency_code": currency}}}]
            if shipping
            else []
        ),
        "transactions": money,
    }


def _process_refused(message: str, field: list[str], code: str) -> dict[str, Any]:
    return {"returnProcess": {"return": None, "userErrors": _refusal(message, field, code)}}


def move_fulfillment_order(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fo = shop.fulfillment_orders.get(legacy(variables["id"]))
    destination = legacy(variables["newLocationId"])
    if fo is None or fo.status in _FINISHED:
        return _move_refused("Fulfillment order cannot be moved.")
    if fo.status == "IN_PROGRESS":
        return _move_refused(
            "Cannot move a fulfillment order that has had progress reported. Mark it as open first.",
            MOVE_PROGRESS_REPORTED,
        )
    if fo.request_status in WITH_FULFILLMENT_SERVICE:
        return _move_refused("Fulfillment order is awaiting action by a fulfillment service and cannot be moved.")
    if fo.location_id == destination:
        return _move_refused("Fulfillment order is already assigned to this location.")
    wanted = _requested_quantities(variables.get("lines"))
    problem = _quantity_problem(fo, wanted)
    if problem:
        return _move_refused(problem)
    moving = wanted or {line.id: line.remaining_quantity for line in fo.lines}
    if any(
        line.variant_id and moving.get(line.id) and not shop.stocks(line.variant_id, destination) for line in fo.lines
    ):
        return _move_refused("The new location does not stock the requested inventory items.", field=["newLocationId"])
    already_there = next(
        (
            other
            for other in shop.fulfillment_orders_of(fo.order_id)
            if other.id != fo.id and other.location_id == destination and other.status == "OPEN"
        ),
        None,
    )
    if already_there is not None:
        moved = _recreate_with(shop, already_there, fo, moving)
    elif _takes_everything(fo, moving):
        fo.location_id = destination
        moved = fo
    else:
        moved = _carve_out(shop, fo, moving, destination)
    payload: dict[str, Any] = {
        "movedFulfillmentOrder": fulfillment_order_node(moved, with_lines=False),
        "originalFulfillmentOrder": _short(fo),
        "userErrors": [],
    }
    return {"fulfillmentOrderMove": payload}


def split_fulfillment_order(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    results = []
    for split in variables["splits"]:
        fo = shop.fulfillment_orders.get(legacy(split["fulfillmentOrderId"]))
        if fo is None:
            return _split_refused("Fulfillment order could not be found.", "FULFILLMENT_ORDER_NOT_FOUND")
        wanted = _requested_quantities(split["fulfillmentOrderLineItems"])
        if not wanted:
            return _split_refused("At least one line item is needed to split.", "NO_LINE_ITEMS_PROVIDED_TO_SPLIT")
        problem = _quantity_problem(fo, wanted)
        if problem or _takes_everything(fo, wanted):
            return _split_refused(problem or "A split must leave something behind.", "INVALID_LINE_ITEM_QUANTITY")
        new_fo = _carve_out(shop, fo, wanted, fo.location_id)
        replacement = _replace(shop, fo) if fo.request_status in WITH_FULFILLMENT_SERVICE else None
        results.append(
            {
                "fulfillmentOrder": _short(fo),
                "remainingFulfillmentOrder": _short(new_fo),
                "replacementFulfillmentOrder": _short(replacement),
            }
        )
    return {"fulfillmentOrderSplit": {"fulfillmentOrderSplits": results, "userErrors": []}}


def hold_fulfillment_order(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fo = shop.fulfillment_orders.get(legacy(variables["id"]))
    hold = variables["hold"]
    handle = hold.get("handle", "")
    if fo is None:
        return _hold_refused("Fulfillment order could not be found.", "FULFILLMENT_ORDER_NOT_FOUND")
    if any(existing["handle"] == handle for existing in fo.holds):
        return _hold_refused(
            "The handle is already in use for a hold on this fulfillment order.", "DUPLICATE_FULFILLMENT_HOLD_HANDLE"
        )
    if len(fo.holds) >= HOLDS_PER_APP:  # every hold in the fake shop is this app's
        return _hold_refused(
            f"An app can only have up to {HOLDS_PER_APP} holds on a single fulfillment order at any one time.",
            "FULFILLMENT_ORDER_HOLD_LIMIT_REACHED",
        )
    wanted = _requested_quantities(hold.get("fulfillmentOrderLineItems"))
    problem = _quantity_problem(fo, wanted)
    if problem:
        return _hold_refused(problem, "INVALID_LINE_ITEM_QUANTITY")
    remaining = None
    if wanted and not _takes_everything(fo, wanted):
        if fo.status == "ON_HOLD":
            return _hold_refused(
                "The fulfillment order is not in a splittable state.", "FULFILLMENT_ORDER_NOT_SPLITTABLE"
            )
        rest = {line.id: line.remaining_quantity - wanted.get(line.id, 0) for line in fo.lines}
        remaining = _carve_out(shop, fo, {line_id: qty for line_id, qty in rest.items() if qty > 0}, fo.location_id)
    fo.status = "ON_HOLD"
    record = {
        "id": gid("FulfillmentHold", shop.new_id()),
        "handle": handle,
        "reason": hold["reason"],
        "reasonNotes": hold.get("reasonNotes"),
    }
    fo.holds.append(record)
    payload: dict[str, Any] = {
        "fulfillmentHold": {key: record[key] for key in ("id", "handle", "reason")},
        "fulfillmentOrder": _short(fo),
        "remainingFulfillmentOrder": _short(remaining),
        "userErrors": [],
    }
    return {"fulfillmentOrderHold": payload}


def add_tags(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    tags = shop.tags.setdefault(variables["id"], [])
    tags.extend(tag for tag in dict.fromkeys(variables["tags"]) if tag not in tags)
    return {"tagsAdd": {"node": {"id": variables["id"]}, "userErrors": []}}


def set_order_note(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    order = shop.orders.get(legacy(variables["input"]["id"]))
    if order is None:
        return {"orderUpdate": {"order": None, "userErrors": _plain_refusal("Order does not exist", ["id"])}}
    order["note"] = variables["input"]["note"]
    return {"orderUpdate": {"order": {"id": variables["input"]["id"], "note": order["note"]}, "userErrors": []}}


def _requested_quantities(lines: list[dict[str, Any]] | None) -> dict[int, int]:
    return {legacy(line["id"]): int(line["quantity"]) for line in lines or []}


def _quantity_problem(fo: FakeFulfillmentOrder, wanted: dict[int, int]) -> str | None:
    remaining = {line.id: line.remaining_quantity for line in fo.lines}
    for line_id, quantity in wanted.items():
        if quantity <= 0:
            return "The fulfillment order line item quantity must be greater than 0."
        if quantity > remaining.get(line_id, 0):
            return f"The fulfillment order line item quantity is invalid for line {line_id}."
    return None


def _takes_everything(fo: FakeFulfillmentOrder, wanted: dict[int, int]) -> bool:
    return all(wanted.get(line.id, 0) == line.remaining_quantity for line in fo.lines)


def _carve_out(
    shop: FakeShop, fo: FakeFulfillmentOrder, wanted: dict[int, int], location_id: int
) -> FakeFulfillmentOrder:
    """Moves the wanted quantities of `fo` into a new fulfillment order, the way a split or partial move does."""
    new_lines = []
    for line in fo.lines:
        quantity = wanted.get(line.id, 0)
        if quantity:
            line.remaining_quantity -= quantity
            new_lines.append(FakeFulfillmentOrderLine(shop.new_id(), line.line_item_id, line.variant_id, quantity))
    fo.lines = [line for line in fo.lines if line.remaining_quantity > 0]
    new_fo = FakeFulfillmentOrder(shop.new_id(), fo.order_id, location_id, new_lines, status="OPEN")
    shop.fulfillment_orders[new_fo.id] = new_fo
    return new_fo


def _recreate_with(
    shop: FakeShop, at_destination: FakeFulfillmentOrder, fo: FakeFulfillmentOrder, moving: dict[int, int]
) -> FakeFulfillmentOrder:
    """A move onto a location that has an open fulfillment order of the same order: that one is closed, and its
    lines are recreated with the moved units in a new fulfillment order there."""
    units: dict[tuple[int, int | None], int] = {}
    for line in at_destination.lines:
        key = (line.line_item_id, line.variant_id)
        units[key] = units.get(key, 0) + line.remaining_quantity
    _close(at_destination)
    for line in fo.lines:
        quantity = moving.get(line.id, 0)
        if quantity:
            line.remaining_quantity -= quantity
            key = (line.line_item_id, line.variant_id)
            units[key] = units.get(key, 0) + quantity
    if all(line.remaining_quantity == 0 for line in fo.lines):
        fo.status = "CLOSED"
    else:
        fo.lines = [line for line in fo.lines if line.remaining_quantity > 0]
    lines = [
        FakeFulfillmentOrderLine(shop.new_id(), line_item_id, variant_id, quantity)
        for (line_item_id, variant_id), quantity in units.items()
    ]
    recreated = FakeFulfillmentOrder(shop.new_id(), fo.order_id, at_destination.location_id, lines)
    shop.fulfillment_orders[recreated.id] = recreated
    return recreated


def _replace(shop: FakeShop, fo: FakeFulfillmentOrder) -> FakeFulfillmentOrder:
    """Closes `fo` and puts what it still holds in a new fulfillment order at the same location."""
    lines = [
        FakeFulfillmentOrderLine(shop.new_id(), line.line_item_id, line.variant_id, line.remaining_quantity)
        for line in fo.lines
    ]
    _close(fo)
    replacement = FakeFulfillmentOrder(shop.new_id(), fo.order_id, fo.location_id, lines)
    shop.fulfillment_orders[replacement.id] = replacement
    return replacement


def _close(fo: FakeFulfillmentOrder) -> None:
    fo.status = "CLOSED"
    for line in fo.lines:
        line.remaining_quantity = 0


def _move_refused(message: str, code: str | None = None, field: list[str] | None = None) -> dict[str, Any]:
    errors = _refusal(message, field or ["id"], code)
    payload = {"movedFulfillmentOrder": None, "originalFulfillmentOrder": None, "userErrors": errors}
    return {"fulfillmentOrderMove": payload}


def _split_refused(message: str, code: str) -> dict[str, Any]:
    return {
        "fulfillmentOrderSplit": {
            "fulfillmentOrderSplits": None,
            "userErrors": _refusal(message, ["fulfillmentOrderSplits"], code),
        }
    }


def _hold_refused(message: str, code: str) -> dict[str, Any]:
    payload = {
        "fulfillmentHold": None,
        "fulfillmentOrder": None,
        "remainingFulfillmentOrder": None,
        "userErrors": _refusal(message, ["id"], code),
    }
    return {"fulfillmentOrderHold": payload}


def create_webhook_subscription(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    uri = variables["webhookSubscription"].get("uri") or ""
    topic = variables["topic"]
    if not uri.startswith("https://"):
        errors = _plain_refusal("Address protocol http:// is not supported", ["webhookSubscription", "callbackUrl"])
        return {"webhookSubscriptionCreate": {"webhookSubscription": None, "userErrors": errors}}
    if any(s["topic"] == topic and s["uri"] == uri for s in shop.webhook_subscriptions):
        errors = _plain_refusal("Address for this topic has already been taken", ["webhookSubscription", "callbackUrl"])
        return {"webhookSubscriptionCreate": {"webhookSubscription": None, "userErrors": errors}}
    node = {"id": gid("WebhookSubscription", shop.new_id()), "topic": topic, "uri": uri}
    shop.webhook_subscriptions.append(node)
    return {"webhookSubscriptionCreate": {"webhookSubscription": node, "userErrors": []}}

"""Turns Admin GraphQL answers into the plain values the worker reads.

An order becomes a dict in Shopify's REST order JSON shape (the shape webhooks deliver), so the returns engine
and the split planner read one shape whether the order came from a webhook or from the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from worker.adapters.shopify.port import (
    DisposedLine,
    FulfillmentSummary,
    OrderSummary,
    ProductFacts,
    ReturnLine,
    ReturnRequest,
    ReturnSummary,
    ReverseFulfillmentOrder,
)
from worker.domain.ids import legacy_id
from worker.domain.split.execution import FulfillmentOrder, FulfillmentOrderLine

_DISCOUNT_APPLICATION_TYPES = {
    "DiscountCodeApplication": "discount_code",
    "AutomaticDiscountApplication": "automatic",
    "ManualDiscountApplication": "manual",
    "ScriptDiscountApplication": "script",
}

# Fulfillment.displayStatus values that REST reports as a fulfillment's shipment_status; the others
# (FULFILLED, CANCELED, ...) describe the fulfillment itself, where REST's shipment_status stays null.
_SHIPMENT_STATUSES = {
    "ATTEMPTED_DELIVERY",
    "CARRIER_PICKED_UP",
    "CONFIRMED",
    "DELAYED",
    "DELIVERED",
    "FAILURE",
    "IN_TRANSIT",
    "LABEL_PRINTED",
    "LABEL_PURCHASED",
    "NOT_DELIVERED",
    "OUT_FOR_DELIVERY",
    "PICKED_UP",
    "READY_FOR_PICKUP",
}


# Shopify's return reasons are handles into its taxonomy (Shopify/product-taxonomy, data/return_reasons.yml). Its
# ten general reasons are the ones a return policy speaks of, in the words the policies use; every other handle is
# a product-specific reason ("too-tight", "battery-life"), which a policy counts as "other".
RETURN_REASON_HANDLES = {
    "unknown": "unknown",
    "changed-my-mind": "unwanted",
    "item-not-as-described": "not_as_described",
    "received-the-wrong-item": "wrong_item",
    "other-reason": "other",
    "damaged-or-defective": "defective",
    "too-small": "size_too_small",
    "too-big": "size_too_large",
    "style": "style",
    "color": "color",
}


def return_reason(definition: Mapping[str, Any] | None) -> str:
    if not definition:
        return "unknown"
    return RETURN_REASON_HANDLES.get(str(definition["handle"]), "other")


def parse_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def return_request(node: Mapping[str, Any], line_nodes: Iterable[Mapping[str, Any]]) -> ReturnRequest:
    lines = tuple(
        ReturnLine(
            line_item_id=legacy_id(line["fulfillmentLineItem"]["lineItem"]["id"]),
            quantity=int(line["quantity"]),
            reason=return_reason(line.get("returnReasonDefinition")),
            customer_note=line.get("customerNote") or None,
        )
        for line in line_nodes
        if line.get("fulfillmentLineItem")  # unverified lines (no fulfillment yet) have nothing to judge
    )
    return ReturnRequest(
        id=node["id"],
        order_id=node["order"]["id"],
        status=str(node["status"]).lower(),
        lines=lines,
        created_at=parse_datetime(node.get("createdAt")),
        exchange=bool(node["exchangeLineItems"]["nodes"]),
    )


def product_facts(nodes: Iterable[Mapping[str, Any] | None]) -> dict[int, ProductFacts]:
    return {
        legacy_id(node["id"]): ProductFacts(product_type=node.get("productType") or "", tags=list(node["tags"]))
        for node in nodes
        if node and "id" in node
    }


def fulfillment_order(node: Mapping[str, Any]) -> FulfillmentOrder:
    location = (node.get("assignedLocation") or {}).get("location")
    return FulfillmentOrder(
        id=node["id"],
        status=str(node["status"]).lower(),
        location_id=legacy_id(location["id"]) if location else None,
        lines=tuple(
            FulfillmentOrderLine(
                id=line["id"],
                line_item_id=legacy_id(line["lineItem"]["id"]),
                variant_id=_optional_id(line.get("variant")),
                remaining_quantity=int(line["remainingQuantity"]),
            )
            for line in node["lineItems"]["nodes"]
        ),
    )


def inventory(nodes: Iterable[Mapping[str, Any] | None], location_ids: set[int] | None) -> dict[int, dict[int, int]]:
    levels: dict[int, dict[int, int]] = {}
    for node in nodes:
        if not node or "id" not in node:
            continue
        per_location = levels.setdefault(legacy_id(node["id"]), {})
        item = node.get("inventoryItem") or {}
        for level in (item.get("inventoryLevels") or {}).get("nodes", []):
            location_id = legacy_id(level["location"]["id"])
            if location_ids is None or location_id in location_ids:
                per_location[location_id] = sum(
                    int(quantity["quantity"]) for quantity in level["quantities"] if quantity["name"] == "available"
                )
    return levels


def rest_order(node: Mapping[str, Any], line_item_nodes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    applications = node["discountApplications"]["nodes"]
    line_items = [_rest_line_item(line) for line in line_item_nodes]
    shipping_lines = [_rest_shipping_line(line) for line in node["shippingLines"]["nodes"]]
    address = node.get("shippingAddress")
    return {
        "id": legacy_id(node["id"]),
        "admin_graphql_api_id": node["id"],
        "name": node["name"],
        "currency": node["currencyCode"],
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "tags": ", ".join(node.get("tags") or []),
        "note": node.get("note"),
        "note_attributes": [
            {"name": attribute["key"], "value": attribute.get("value")}
            for attribute in node.get("customAttributes") or []
        ],
        "taxes_included": bool(node.get("taxesIncluded", False)),
        "refunds": [_rest_refund(refund) for refund in node.get("refunds") or []],
        "line_items": line_items,
        "discount_applications": [_rest_discount_application(app) for app in applications],
        "discount_codes": _rest_discount_codes(applications, line_items + shipping_lines),
        "shipping_lines": shipping_lines,
        "shipping_address": {"country_code": address.get("countryCodeV2")} if address else None,
        "fulfillments": [_rest_fulfillment(fulfillment) for fulfillment in node["fulfillments"]],
    }


def order_summary(node: Mapping[str, Any]) -> OrderSummary:
    return OrderSummary(
        id=node["id"],
        updated_at=_moment(node["updatedAt"]),
        fulfillments=tuple(
            FulfillmentSummary(id=item["id"], updated_at=_moment(item["updatedAt"])) for item in node["fulfillments"]
        ),
        returns=tuple(
            ReturnSummary(id=item["id"], status=str(item["status"]).lower()) for item in node["returns"]["nodes"]
        ),
    )


def rest_fulfillment(node: Mapping[str, Any], line_nodes: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A fulfillment as the fulfillments/create and fulfillments/update webhooks deliver it."""
    tracking = node.get("trackingInfo") or []
    numbers = [info["number"] for info in tracking if info.get("number")]
    urls = [info["url"] for info in tracking if info.get("url")]
    location = node.get("location")
    return {
        **_rest_fulfillment(node),
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "order_id": legacy_id(node["order"]["id"]),
        "location_id": legacy_id(location["id"]) if location else None,
        "tracking_company": next((info["company"] for info in tracking if info.get("company")), None),
        "tracking_number": numbers[0] if numbers else None,
        "tracking_numbers": numbers,
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
        "line_items": [
            {"id": legacy_id(line["lineItem"]["id"]), "quantity": int(line["quantity"])} for line in line_nodes
        ],
    }


def _rest_line_item(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": legacy_id(node["id"]),
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "sku": node.get("sku"),
        "product_id": _optional_id(node.get("product")),
        "variant_id": _optional_id(node.get("variant")),
        "quantity": int(node["quantity"]),
        "current_quantity": int(node.get("currentQuantity", node["quantity"])),
        "price": _money(node["originalUnitPriceSet"]),
        "requires_shipping": bool(node["requiresShipping"]),
        "gift_card": bool(node.get("isGiftCard", False)),
        "discount_allocations": [_rest_allocation(allocation) for allocation in node["discountAllocations"]],
        "tax_lines": [{"price": _money(tax["priceSet"])} for tax in node.get("taxLines") or []],
    }


def _rest_refund(node: Mapping[str, Any]) -> dict[str, Any]:
    """What the returns engine reads of an earlier refund: the units it gave back (shipping refunded before is read
    from the order's webhook payloads; asking for it here would take the query over Shopify's cost limit)."""
    return {
        "refund_line_items": [
            {"line_item_id": legacy_id(item["lineItem"]["id"]), "quantity": int(item["quantity"])}
            for item in node["refundLineItems"]["nodes"]
        ],
    }


def _rest_shipping_line(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": node.get("title"),
        "code": node.get("code"),
        "source": node.get("source"),
        "price": _money(node["originalPriceSet"]),
        "discounted_price": _money(node["discountedPriceSet"]),
        "discount_allocations": [_rest_allocation(allocation) for allocation in node["discountAllocations"]],
    }


def _rest_allocation(node: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "amount": _money(node["allocatedAmountSet"]),
        "discount_application_index": int(node["discountApplication"]["index"]),
    }


def _rest_discount_application(node: Mapping[str, Any]) -> dict[str, Any]:
    value = node.get("value") or {}
    percentage = "percentage" in value
    application = {
        "type": _DISCOUNT_APPLICATION_TYPES.get(node.get("__typename", ""), "manual"),
        "value": str(value["percentage"] if percentage else value.get("amount", "0")),
        "value_type": "percentage" if percentage else "fixed_amount",
        "allocation_method": str(node.get("allocationMethod", "")).lower(),
        "target_type": str(node.get("targetType", "")).lower(),
    }
    if node.get("code"):
        application["code"] = node["code"]
    return application


def _rest_discount_codes(
    applications: Iterable[Mapping[str, Any]], allocated_lines: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """REST's discount_codes: each code with the money it took off the order, summed over its allocations."""
    allocated: dict[int, Decimal] = {}
    for line in allocated_lines:
        for allocation in line["discount_allocations"]:
            index = allocation["discount_application_index"]
            allocated[index] = allocated.get(index, Decimal("0")) + Decimal(allocation["amount"])
    codes = []
    for application in applications:
        if not application.get("code"):
            continue
        if str(application.get("targetType")) == "SHIPPING_LINE":
            kind = "shipping"
        else:
            kind = "percentage" if "percentage" in (application.get("value") or {}) else "fixed_amount"
        amount = allocated.get(int(application["index"]), Decimal("0"))
        codes.append({"code": application["code"], "amount": f"{amount:.2f}", "type": kind})
    return codes


def _rest_fulfillment(node: Mapping[str, Any]) -> dict[str, Any]:
    display_status = node.get("displayStatus")
    fulfillment = {
        "id": legacy_id(node["id"]),
        "status": str(node.get("status", "")).lower(),
        "shipment_status": display_status.lower() if display_status in _SHIPMENT_STATUSES else None,
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "delivered_at": node.get("deliveredAt"),
    }
    lines = node.get("fulfillmentLineItems")
    if lines and not lines["pageInfo"]["hasNextPage"]:  # a partial list would hide lines it holds
        fulfillment["line_items"] = [
            {"id": legacy_id(line["lineItem"]["id"]), "quantity": int(line["quantity"])} for line in lines["nodes"]
        ]
    return fulfillment


def _money(money_bag: Mapping[str, Any]) -> str:
    return str(money_bag["shopMoney"]["amount"])


def _optional_id(node: Mapping[str, Any] | None) -> int | None:
    return legacy_id(node["id"]) if node else None


def reverse_fulfillment_order(node: Mapping[str, Any]) -> ReverseFulfillmentOrder:
    order = node.get("order") or {}
    owner = next(
        (
            found["id"]
            for found in (order.get("returns") or {}).get("nodes", [])
            if any(rfo["id"] == node["id"] for rfo in found["reverseFulfillmentOrders"]["nodes"])
        ),
        None,
    )
    lines = []
    for line in node["lineItems"]["nodes"]:
        disposed: dict[str, int] = {}
        for disposition in line["dispositions"]:
            kind = str(disposition["type"]).lower()
            disposed[kind] = disposed.get(kind, 0) + int(disposition["quantity"])
        item = (line.get("fulfillmentLineItem") or {}).get("lineItem")
        lines.append(DisposedLine(_optional_id(item), int(line["totalQuantity"]), disposed))
    return ReverseFulfillmentOrder(node["id"], owner, order.get("id"), tuple(lines))

"""Answers to the adapter's queries, built from the fake shop's state in Admin GraphQL's shapes."""

from __future__ import annotations

import re
from typing import Any

from tests.fakeshopify.state import FakeFulfillmentOrder, FakeShop, gid, instant, legacy

ORDER_LINE_ITEMS_PAGE = 50
FULFILLMENT_ORDERS_PAGE = 5
ORDERS_PAGE = 25  # the adapter's orders(first: 25)
FULFILLMENT_LINE_ITEMS_PAGE = 50
_UPDATED_AFTER = re.compile(r"updated_at:>'([^']+)'")

_DISCOUNT_TYPENAMES = {
    "discount_code": "DiscountCodeApplication",
    "automatic": "AutomaticDiscountApplication",
    "manual": "ManualDiscountApplication",
    "script": "ScriptDiscountApplication",
}


def page(items: list[Any], after: str | None, size: int) -> tuple[list[Any], dict[str, Any]]:
    start = int(after) if after else 0
    end = start + size
    return items[start:end], {"hasNextPage": end < len(items), "endCursor": str(end)}


def fetch_return(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fake_return = shop.returns.get(legacy(variables["id"]))
    if fake_return is None:
        return {"return": None}
    lines, page_info = page(fake_return.lines, variables.get("after"), 50)
    return {
        "return": {
            "id": gid("Return", fake_return.id),
            "status": fake_return.status,
            "createdAt": fake_return.created_at,
            "order": {"id": gid("Order", fake_return.order_id)},
            "exchangeLineItems": {
                "nodes": [{"id": gid("ExchangeLineItem", x.id)} for x in fake_return.exchange_lines][:1]
            },
            "returnLineItems": {
                "pageInfo": page_info,
                "nodes": [
                    {
                        "id": gid("ReturnLineItem", line.id),
                        "quantity": line.quantity,
                        "customerNote": line.customer_note,
                        "returnReasonDefinition": {"handle": line.reason},
                        "fulfillmentLineItem": {"lineItem": {"id": gid("LineItem", line.line_item_id)}},
                    }
                    for line in lines
                ],
            },
        }
    }


def fetch_reverse_fulfillment_order(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    rfo = shop.reverse_fulfillment_orders.get(legacy(variables["id"]))
    if rfo is None:
        return {"reverseFulfillmentOrder": None}
    returns_of_order = [r for r in shop.returns.values() if r.order_id == rfo.order_id][:10]
    return {
        "reverseFulfillmentOrder": {
            "id": gid("ReverseFulfillmentOrder", rfo.id),
            "status": rfo.status,
            "order": {
                "id": gid("Order", rfo.order_id),
                "returns": {
                    "nodes": [
                        {
                            "id": gid("Return", other.id),
                            "reverseFulfillmentOrders": {
                                "nodes": [
                                    {"id": gid("ReverseFulfillmentOrder", rfo_id)}
                                    for rfo_id in other.reverse_fulfillment_orders[:5]
                                ]
                            },
                        }
                        for other in returns_of_order
                    ]
                },
            },
            "lineItems": {
                "nodes": [
                    {
                        "id": gid("ReverseFulfillmentOrderLineItem", line.id),
                        "totalQuantity": line.return_line.quantity,
                        "fulfillmentLineItem": {"lineItem": {"id": gid("LineItem", line.return_line.line_item_id)}},
                        "dispositions": [
                            {
                                "id": gid("ReverseFulfillmentOrderDisposition", disposition["id"]),
                                "type": disposition["type"],
                                "quantity": disposition["quantity"],
                            }
                            for disposition in line.dispositions
                        ],
                    }
                    for line in rfo.lines[:50]
                ]
            },
        }
    }


def return_for_processing(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fake_return = shop.returns.get(legacy(variables["id"]))
    if fake_return is None:
        return {"return": None}
    return {
        "return": {
            "id": gid("Return", fake_return.id),
            "status": fake_return.status,
            "order": {
                "id": gid("Order", fake_return.order_id),
                "transactions": [
                    {
                        "id": gid("OrderTransaction", int(payment["id"])),
                        "kind": str(payment["kind"]).upper(),
                        "status": str(payment["status"]).upper(),
                        "gateway": payment.get("gateway"),
                        "amountSet": {
                            "shopMoney": {"amount": str(payment["amount"]), "currencyCode": payment["currency"]}
                        },
                    }
                    for payment in shop.transactions_of(fake_return.order_id)[:20]
                ],
            },
            "returnLineItems": {
                "nodes": [
                    {
                        "id": gid("ReturnLineItem", line.id),
                        "quantity": line.quantity,
                        "processedQuantity": line.processed_quantity,
                        "fulfillmentLineItem": {"lineItem": {"id": gid("LineItem", line.line_item_id)}},
                    }
                    for line in fake_return.lines[:50]
                ]
            },
            "exchangeLineItems": {
                "nodes": [
                    {
                        "id": gid("ExchangeLineItem", line.id),
                        "processableQuantity": line.quantity - line.processed_quantity,
                    }
                    for line in fake_return.exchange_lines[:50]
                ]
            },
        }
    }


def return_status(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fake_return = shop.returns.get(legacy(variables["id"]))
    node = {"id": gid("Return", fake_return.id), "status": fake_return.status} if fake_return else None
    return {"return": node}


def fetch_order(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    order = shop.orders.get(legacy(variables["id"]))
    if order is None:
        return {"order": None}
    order_gid = gid("Order", int(order["id"]))
    address = order.get("shipping_address")
    return {
        "order": {
            "id": order_gid,
            "name": order["name"],
            "currencyCode": order["currency"],
            "createdAt": order["created_at"],
            "updatedAt": order["updated_at"],
            "processedAt": order.get("processed_at"),
            "cancelledAt": order.get("cancelled_at"),
            "tags": list(shop.tags.get(order_gid, [])),
            "note": order.get("note"),
            "taxesIncluded": bool(order.get("taxes_included", False)),
            "customAttributes": [
                {"key": attribute["name"], "value": attribute.get("value")}
                for attribute in order.get("note_attributes") or []
            ],
            "refunds": [_refund(refund) for refund in order.get("refunds") or []],
            "shippingAddress": {"countryCodeV2": address.get("country_code")} if address else None,
            "discountApplications": {
                "nodes": [
                    _discount_application(index, app)
                    for index, app in enumerate(order.get("discount_applications", []))
                ]
            },
            "shippingLines": {"nodes": [_shipping_line(line) for line in order.get("shipping_lines", [])]},
            "fulfillments": [_fulfillment(fulfillment) for fulfillment in order.get("fulfillments", [])],
            "lineItems": _line_items(order, None),
        }
    }


def fetch_order_line_items(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    order = shop.orders.get(legacy(variables["id"]))
    return {"order": {"lineItems": _line_items(order, variables.get("after"))} if order else None}


def fetch_product_facts(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    nodes = []
    for product_gid in variables["ids"]:
        product = shop.products.get(legacy(product_gid))
        nodes.append(
            {"id": product_gid, "productType": product["product_type"], "tags": list(shop.tags.get(product_gid, []))}
            if product
            else None
        )
    return {"nodes": nodes}


def fetch_fulfillment_orders(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    order_id = legacy(variables["id"])
    if order_id not in shop.orders:
        return {"order": None}
    nodes, page_info = page(shop.fulfillment_orders_of(order_id), variables.get("after"), FULFILLMENT_ORDERS_PAGE)
    return {
        "order": {"fulfillmentOrders": {"pageInfo": page_info, "nodes": [fulfillment_order_node(fo) for fo in nodes]}}
    }


def fulfillment_order_location(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fo = shop.fulfillment_orders.get(legacy(variables["id"]))
    return {"fulfillmentOrder": fulfillment_order_node(fo, with_lines=False) if fo else None}


def fetch_inventory(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    nodes = []
    for variant_gid in variables["ids"]:
        variant_id = legacy(variant_gid)
        levels = sorted(
            (location, available) for (variant, location), available in shop.inventory.items() if variant == variant_id
        )
        nodes.append(
            {
                "id": variant_gid,
                "inventoryItem": {
                    "inventoryLevels": {
                        "nodes": [
                            {
                                "location": {"id": gid("Location", location)},
                                "quantities": [{"name": "available", "quantity": available}],
                            }
                            for location, available in levels
                        ]
                    }
                },
            }
            if levels
            else None
        )
    return {"nodes": nodes}


def fetch_webhook_subscriptions(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    seeded = [
        {"id": gid("WebhookSubscription", index + 1), "topic": topic, "uri": "https://elsewhere.example/hooks"}
        for index, topic in enumerate(shop.webhook_topics)
    ]
    nodes = seeded + shop.webhook_subscriptions
    return {"webhookSubscriptions": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}}


def orders_updated_since(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    nodes, page_info = page(_updated_orders(shop, variables["query"]), variables.get("after"), ORDERS_PAGE)
    return {"orders": {"pageInfo": page_info, "nodes": [_order_summary(shop, order) for order in nodes]}}


def count_orders_updated_since(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    return {"ordersCount": {"count": len(_updated_orders(shop, variables["query"])), "precision": "EXACT"}}


def fetch_fulfillment(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    fulfillment = shop.fulfillment(legacy(variables["id"]))
    if fulfillment is None:
        return {"fulfillment": None}
    lines, page_info = page(fulfillment.get("line_items", []), variables.get("after"), FULFILLMENT_LINE_ITEMS_PAGE)
    numbers = fulfillment.get("tracking_numbers") or []
    urls = fulfillment.get("tracking_urls") or []
    location = fulfillment.get("location_id")
    return {
        "fulfillment": {
            **_fulfillment(fulfillment),
            "name": fulfillment["name"],
            "order": {"id": gid("Order", fulfillment["order_id"])},
            "location": {"id": gid("Location", location)} if location else None,
            "trackingInfo": [
                {
                    "company": fulfillment.get("tracking_company"),
                    "number": number,
                    "url": urls[index] if index < len(urls) else None,
                }
                for index, number in enumerate(numbers)
            ],
            "fulfillmentLineItems": {
                "pageInfo": page_info,
                "nodes": [
                    {
                        "id": gid("FulfillmentLineItem", int(line["id"]) + 1),
                        "quantity": line["quantity"],
                        "lineItem": {"id": gid("LineItem", int(line["id"]))},
                    }
                    for line in lines
                ],
            },
        }
    }


def _updated_orders(shop: FakeShop, query: str) -> list[dict[str, Any]]:
    """The orders Shopify's search `updated_at:>'<time>'` finds, oldest change first (sortKey: UPDATED_AT)."""
    match = _UPDATED_AFTER.search(query)
    found = [
        order
        for order in shop.orders.values()
        if match is None or instant(order["updated_at"]) > instant(match.group(1))
    ]
    return sorted(found, key=lambda order: (instant(order["updated_at"]), int(order["id"])))


def _order_summary(shop: FakeShop, order: dict[str, Any]) -> dict[str, Any]:
    order_id = int(order["id"])
    returns = sorted((r for r in shop.returns.values() if r.order_id == order_id), key=lambda r: r.id)
    return {
        "id": gid("Order", order_id),
        "updatedAt": order["updated_at"],
        "fulfillments": [
            {"id": gid("Fulfillment", int(f["id"])), "updatedAt": f["updated_at"]}
            for f in order.get("fulfillments", [])[:10]
        ],
        "returns": {"nodes": [{"id": gid("Return", r.id), "status": r.status} for r in returns[:5]]},
    }


def fulfillment_order_node(fo: FakeFulfillmentOrder, with_lines: bool = True) -> dict[str, Any]:
    node = {
        "id": gid("FulfillmentOrder", fo.id),
        "status": fo.status,
        "assignedLocation": {"location": {"id": gid("Location", fo.location_id)}},
    }
    if not with_lines:
        return node
    return {
        **node,
        "lineItems": {
            "nodes": [
                {
                    "id": gid("FulfillmentOrderLineItem", line.id),
                    "remainingQuantity": line.remaining_quantity,
                    "lineItem": {"id": gid("LineItem", line.line_item_id)},
                    "variant": {"id": gid("ProductVariant", line.variant_id)} if line.variant_id else None,
                }
                for line in fo.lines
            ]
        },
    }


def _line_items(order: dict[str, Any], after: str | None) -> dict[str, Any]:
    items, page_info = page(order["line_items"], after, ORDER_LINE_ITEMS_PAGE)
    return {"pageInfo": page_info, "nodes": [_line_item(item) for item in items]}


def _line_item(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": gid("LineItem", int(item["id"])),
        "name": item.get("name"),
        "sku": item.get("sku"),
        "quantity": item["quantity"],
        "currentQuantity": item.get("current_quantity", item["quantity"]),
        "requiresShipping": item.get("requires_shipping", True),
        "isGiftCard": item.get("gift_card", False),
        "originalUnitPriceSet": _money(item["price"]),
        "variant": {"id": gid("ProductVariant", item["variant_id"])} if item.get("variant_id") else None,
        "product": {"id": gid("Product", item["product_id"])} if item.get("product_id") else None,
        "discountAllocations": [_allocation(allocation) for allocation in item.get("discount_allocations", [])],
        "taxLines": [{"priceSet": _money(tax["price"])} for tax in item.get("tax_lines") or []],
    }


def _refund(refund: dict[str, Any]) -> dict[str, Any]:
    return {
        "refundLineItems": {
            "nodes": [
                {"lineItem": {"id": gid("LineItem", int(item["line_item_id"]))}, "quantity": item["quantity"]}
                for item in refund.get("refund_line_items") or []
            ]
        },
    }


def _shipping_line(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": line.get("title"),
        "code": line.get("code"),
        "source": line.get("source"),
        "originalPriceSet": _money(line["price"]),
        "discountedPriceSet": _money(line.get("discounted_price", line["price"])),
        "discountAllocations": [_allocation(allocation) for allocation in line.get("discount_allocations", [])],
    }


def _discount_application(index: int, application: dict[str, Any]) -> dict[str, Any]:
    percentage = application.get("value_type") == "percentage"
    node = {
        "__typename": _DISCOUNT_TYPENAMES.get(application.get("type", "manual"), "ManualDiscountApplication"),
        "index": index,
        "allocationMethod": str(application.get("allocation_method", "across")).upper(),
        "targetType": str(application.get("target_type", "line_item")).upper(),
        "value": {"percentage": float(application["value"])} if percentage else {"amount": application["value"]},
    }
    if application.get("code"):
        node["code"] = application["code"]
    return node


def _fulfillment(fulfillment: dict[str, Any]) -> dict[str, Any]:
    shipment_status = fulfillment.get("shipment_status")
    return {
        "id": gid("Fulfillment", int(fulfillment["id"])),
        "status": str(fulfillment.get("status", "success")).upper(),
        "displayStatus": shipment_status.upper() if shipment_status else "FULFILLED",
        "createdAt": fulfillment["created_at"],
        "updatedAt": fulfillment["updated_at"],
        "deliveredAt": fulfillment["updated_at"] if shipment_status == "delivered" else None,
        "fulfillmentLineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {"lineItem": {"id": gid("LineItem", int(line["id"]))}, "quantity": line.get("quantity", 1)}
                for line in fulfillment.get("line_items") or []
            ],
        },
    }


def _allocation(allocation: dict[str, Any]) -> dict[str, Any]:
    return {
        "allocatedAmountSet": _money(allocation["amount"]),
        "discountApplication": {"index": allocation.get("discount_application_index", 0)},
    }


def _money(amount: Any) -> dict[str, Any]:
    return {"shopMoney": {"amount": str(amount)}}


def current_app_scopes(shop: FakeShop, variables: dict[str, Any]) -> dict[str, Any]:
    return {"currentAppInstallation": {"accessScopes": [{"handle": scope} for scope in shop.granted_now]}}

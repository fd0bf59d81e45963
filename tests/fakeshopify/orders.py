"""A small, internally consistent order in Shopify's REST shape, for seeding the fake shop."""

from __future__ import annotations

from typing import Any

EXAMPLE_ORDER_ID = 820982911946154600
SUNGLASSES_LINE_ID = 487817672276298600
SWIMSUIT_LINE_ID = 487817672276298601
GIFT_CARD_LINE_ID = 487817672276298602
SUNGLASSES_PRODUCT_ID = 788032119674292900
SWIMSUIT_PRODUCT_ID = 788032119674292901
SUNGLASSES_VARIANT_ID = 642667041472713900
SWIMSUIT_VARIANT_ID = 642667041472713901


def example_order(**overrides: Any) -> dict[str, Any]:
    """Two shipped products (one bought with a 20 % code) and a gift card, delivered to the US."""
    order: dict[str, Any] = {
        "id": EXAMPLE_ORDER_ID,
        "admin_graphql_api_id": f"gid://shopify/Order/{EXAMPLE_ORDER_ID}",
        "name": "#1001",
        "currency": "USD",
        "created_at": "2026-01-02T09:30:00-05:00",
        "updated_at": "2026-01-06T16:00:00-05:00",
        "processed_at": "2026-01-02T09:30:00-05:00",
        "cancelled_at": None,
        "tags": "vip",
        "note": None,
        "discount_codes": [{"code": "SUMMER20", "amount": "8.00", "type": "percentage"}],
        "discount_applications": [
            {
                "type": "discount_code",
                "code": "SUMMER20",
                "value": "20.0",
                "value_type": "percentage",
                "allocation_method": "across",
                "target_type": "line_item",
            }
        ],
        "line_items": [
            _line(SUNGLASSES_LINE_ID, SUNGLASSES_PRODUCT_ID, SUNGLASSES_VARIANT_ID, "Aviator sunglasses", 1, "89.99"),
            _line(
                SWIMSUIT_LINE_ID,
                SWIMSUIT_PRODUCT_ID,
                SWIMSUIT_VARIANT_ID,
                "Striped swimsuit",
                2,
                "20.00",
                discount_allocations=[{"amount": "8.00", "discount_application_index": 0}],
            ),
            {
                **_line(GIFT_CARD_LINE_ID, None, None, "Gift card", 1, "25.00"),
                "requires_shipping": False,
                "gift_card": True,
            },
        ],
        "shipping_lines": [
            {
                "title": "Standard",
                "code": "STANDARD",
                "source": "shopify",
                "price": "10.00",
                "discounted_price": "10.00",
                "discount_allocations": [],
            }
        ],
        "shipping_address": {"country_code": "US"},
        "fulfillments": [
            {
                "id": 255858046,
                "status": "success",
                "shipment_status": "delivered",
                "created_at": "2026-01-03T11:00:00-05:00",
                "updated_at": "2026-01-06T16:00:00-05:00",
            }
        ],
    }
    order.update(overrides)
    return order


def _line(
    line_id: int,
    product_id: int | None,
    variant_id: int | None,
    name: str,
    quantity: int,
    price: str,
    discount_allocations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "name": name,
        "sku": f"SKU-{line_id % 1000}",
        "product_id": product_id,
        "variant_id": variant_id,
        "quantity": quantity,
        "current_quantity": quantity,
        "price": price,
        "requires_shipping": True,
        "gift_card": False,
        "discount_allocations": discount_allocations or [],
    }

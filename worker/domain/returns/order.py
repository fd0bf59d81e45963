"""What the customer paid, read from Shopify's REST order JSON in the shop's currency."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from worker.domain.returns.request import ReturnRequestError

CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderLine:
    id: int
    product_id: int | None
    quantity: int
    gross: Decimal  # price * quantity
    discount: Decimal  # sum of the line's discount allocations
    gift_card: bool

    @property
    def paid(self) -> Decimal:
        return self.gross - self.discount

    def discount_above(self, percent: Decimal) -> bool:
        return self.discount * 100 > percent * self.gross


@dataclass(frozen=True)
class OrderFacts:
    currency: str
    lines: Mapping[int, OrderLine]
    shipping_paid: Decimal


def read_order(order: Any) -> OrderFacts:
    if not isinstance(order, Mapping) or not isinstance(order.get("line_items"), list):
        raise ReturnRequestError("order: expected a Shopify order object with line_items")
    currency = order.get("currency")
    if not isinstance(currency, str) or not currency:
        raise ReturnRequestError("order: currency is missing")
    lines = {}
    for i, item in enumerate(order["line_items"]):
        line = _read_line(item, f"order: line_items[{i}]")
        lines[line.id] = line
    shipping = sum(
        (_money(s, "price", "order: shipping_lines") - _allocated(s, "order: shipping_lines")
         for s in order.get("shipping_lines") or ()),
        Decimal(0),
    )
    return OrderFacts(currency, lines, shipping)


def _read_line(item: Any, where: str) -> OrderLine:
    if not isinstance(item, Mapping) or not isinstance(item.get("id"), int):
        raise ReturnRequestError(f"{where}: expected a line item with an id")
    quantity = item.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise ReturnRequestError(f"{where}.quantity: expected a whole number, got {quantity!r}")
    product_id = item.get("product_id")
    return OrderLine(
        id=item["id"],
        product_id=product_id if isinstance(product_id, int) else None,
        quantity=quantity,
        gross=_money(item, "price", where) * quantity,
        discount=_allocated(item, where),
        gift_card=item.get("gift_card") is True,
    )


def _allocated(item: Mapping[str, Any], where: str) -> Decimal:
    allocations = item.get("discount_allocations") or ()
    return sum((_money(a, "amount", f"{where}.discount_allocations") for a in allocations), Decimal(0))


def _money(data: Any, key: str, where: str) -> Decimal:
    value = data.get(key) if isinstance(data, Mapping) else None
    try:
        amount = Decimal(value) if isinstance(value, str | int) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ReturnRequestError(f"{where}.{key}: expected an amount, got {value!r}")
    return amount

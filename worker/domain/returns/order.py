"""What the customer paid, read from Shopify's REST order JSON in the shop's currency.

Only the lines a request names are read in full: an order can be long and most returns are one item.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from worker.domain.returns.request import ReturnRequestError

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
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


class OrderFacts:
    """An index over the order's line items; a line is checked and priced when first asked for."""

    def __init__(self, order: Any) -> None:
        if not isinstance(order, dict) or not isinstance(order.get("line_items"), list):
            raise ReturnRequestError("order: expected a Shopify order object with line_items")
        currency = order.get("currency")
        if not isinstance(currency, str) or not currency:
            raise ReturnRequestError("order: currency is missing")
        self.currency = currency
        self._order = order
        self._items: dict[Any, tuple[int, Any]] = {
            item.get("id") if isinstance(item, dict) else None: (i, item) for i, item in enumerate(order["line_items"])
        }

    def line(self, line_item_id: int) -> OrderLine | None:
        found = self._items.get(line_item_id)
        return None if found is None else _read_line(found[1], f"order: line_items[{found[0]}]")

    def quantities(self) -> dict[int, int]:
        """Units bought per line item, leaving out lines with none left."""
        lines = (self.line(line_id) for line_id in self._items if isinstance(line_id, int))
        return {line.id: line.quantity for line in lines if line and line.quantity}

    def shipping_paid(self) -> Decimal:
        where = "order: shipping_lines"
        return sum(
            (_money(s, "price", where) - _allocated(s, where) for s in self._order.get("shipping_lines") or ()), ZERO
        )


def _read_line(item: Any, where: str) -> OrderLine:
    quantity = item.get("quantity")
    if type(quantity) is not int or quantity < 0:
        raise ReturnRequestError(f"{where}.quantity: expected a whole number, got {quantity!r}")
    product_id = item.get("product_id")
    return OrderLine(
        id=item["id"],
        product_id=product_id if type(product_id) is int else None,
        quantity=quantity,
        gross=_money(item, "price", where) * quantity,
        discount=_allocated(item, where),
        gift_card=item.get("gift_card") is True,
    )


def _allocated(item: Any, where: str) -> Decimal:
    allocations = item.get("discount_allocations") if isinstance(item, dict) else None
    if not allocations:
        return ZERO
    return sum((_money(a, "amount", f"{where}.discount_allocations") for a in allocations), ZERO)


def _money(data: Any, key: str, where: str) -> Decimal:
    value = data.get(key) if isinstance(data, dict) else None
    if type(value) is str or type(value) is int:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if amount.is_finite():
                return amount
    raise ReturnRequestError(f"{where}.{key}: expected an amount, got {value!r}")

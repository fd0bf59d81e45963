"""What the customer paid, read from Shopify's REST order JSON in the shop's currency.

Only the lines a request names are read in full: an order can be long and most returns are one item.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from worker.domain.money import minor_unit
from worker.domain.returns.request import ReturnRequestError

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class OrderLine(NamedTuple):
    """One line item as bought (a tuple: one is built per returned line on every evaluation)."""

    id: int
    product_id: int | None
    quantity: int  # units bought
    gone: int  # units no longer held by the customer's order: removed by an edit or refunded
    gross: Decimal  # price * quantity
    discount: Decimal  # sum of the line's discount allocations, whatever their source
    tax: Decimal  # tax charged on the whole line (inside the price when the order's taxes are included)
    # (application, amount) per discount allocation; the application is None when the allocation names none
    allocations: tuple[tuple[Mapping[str, Any] | None, Decimal], ...]
    gift_card: bool
    requires_shipping: bool

    @property
    def paid(self) -> Decimal:
        return self.gross - self.discount

    def code_percents(self) -> list[Decimal]:
        """Each discount code's own percentage on this line; a fixed-amount code counts as its share of the
        price. Automatic, manual and script discounts are not codes."""
        found = []
        for application, amount in self.allocations:
            if application is not None and application.get("type") == "discount_code":
                if application.get("value_type") == "percentage":
                    found.append(_money(application, "value", "order: discount_applications"))
                else:
                    found.append(self._share(amount))
        return found

    def unexplained_percent(self) -> Decimal:
        """The share of the price taken by allocations that name no discount application."""
        return self._share(sum((amount for application, amount in self.allocations if application is None), ZERO))

    def _share(self, amount: Decimal) -> Decimal:
        return amount * HUNDRED / self.gross if self.gross else ZERO


class OrderFacts:
    """An index over the order's line items; a line is checked and priced when first asked for."""

    def __init__(self, order: Any) -> None:
        if not isinstance(order, dict) or not isinstance(order.get("line_items"), list):
            raise ReturnRequestError("order: expected a Shopify order object with line_items")
        currency = order.get("currency")
        if not isinstance(currency, str) or not currency:
            raise ReturnRequestError("order: currency is missing")
        self.currency = currency
        self.unit = minor_unit(currency)
        self.taxes_included = order.get("taxes_included") is True
        self._order = order
        self._items: dict[Any, tuple[int, Any]] = {
            item.get("id") if isinstance(item, dict) else None: (i, item) for i, item in enumerate(order["line_items"])
        }
        applications = order.get("discount_applications")
        self._applications: list[Any] = applications if isinstance(applications, list) else []
        self._refunded: dict[int, int] | None = None

    def line(self, line_item_id: int) -> OrderLine | None:
        found = self._items.get(line_item_id)
        if found is None:
            return None
        refunded = self.refunded_units().get(line_item_id, 0) if self._order.get("refunds") else 0
        return _read_line(found[1], f"order: line_items[{found[0]}]", self._applications, refunded)

    def quantities(self) -> dict[int, int]:
        """Units bought per line item, leaving out lines with none."""
        lines = (self.line(line_id) for line_id in self._items if isinstance(line_id, int))
        return {line.id: line.quantity for line in lines if line and line.quantity}

    def ships_anything(self) -> bool:
        """Whether any line needs shipping: an order of services and gift cards sends no parcel."""
        lines = (self.line(line_id) for line_id in self._items if isinstance(line_id, int))
        return any(line.requires_shipping and line.quantity for line in lines if line)

    def free_shipping(self) -> bool:
        """Shipped with a shipping line that the customer paid nothing for (a pickup has no shipping line)."""
        return bool(_objects(self._order.get("shipping_lines"))) and self.shipping_paid() <= 0

    def refunded_units(self) -> dict[int, int]:
        """Units per line item that the order's refunds already gave back."""
        if self._refunded is None:
            refunded: dict[int, int] = {}
            for refund in _objects(self._order.get("refunds")):
                for item in _objects(refund.get("refund_line_items")):
                    line_id, quantity = item.get("line_item_id"), item.get("quantity")
                    if type(line_id) is int and type(quantity) is int and quantity > 0:
                        refunded[line_id] = refunded.get(line_id, 0) + quantity
            self._refunded = refunded
        return self._refunded

    def shipping_paid(self) -> Decimal:
        where = "order: shipping_lines"
        return sum(
            (_money(s, "price", where) - _allocated(s, where) for s in _objects(self._order.get("shipping_lines"))),
            ZERO,
        )

    def shipping_refunded(self) -> Decimal:
        """Shipping the order's refunds already gave back (refund shipping lines, or older shipping adjustments)."""
        total = ZERO
        for refund in _objects(self._order.get("refunds")):
            for line in _objects(refund.get("refund_shipping_lines")):
                total += _amount_of(line, "subtotal_amount")
            for adjustment in _objects(refund.get("order_adjustments")):
                if adjustment.get("kind") == "shipping_refund":
                    total += abs(_amount_of(adjustment, "amount"))
        return total


def _read_line(item: Any, where: str, applications: list[Any], refunded: int) -> OrderLine:
    quantity = item.get("quantity")
    if type(quantity) is not int or quantity < 0:
        raise ReturnRequestError(f"{where}.quantity: expected a whole number, got {quantity!r}")
    current = item.get("current_quantity", quantity)
    if type(current) is not int or not 0 <= current <= quantity:
        raise ReturnRequestError(f"{where}.current_quantity: expected a whole number up to {quantity}, got {current!r}")
    product_id = item.get("product_id")
    gross = _money(item, "price", where) * quantity
    discount = ZERO
    allocations: tuple[tuple[Mapping[str, Any] | None, Decimal], ...] = ()
    if found := item.get("discount_allocations"):
        listed = []
        for allocation in found:
            amount = _money(allocation, "amount", where, ".discount_allocations")
            discount += amount
            listed.append((_application(allocation, applications) if applications else None, amount))
        allocations = tuple(listed)
    tax = ZERO
    for tax_line in item.get("tax_lines") or ():
        tax += _money(tax_line, "price", where, ".tax_lines")
    return OrderLine(
        item["id"],
        product_id if type(product_id) is int else None,
        quantity,
        max(quantity - current, refunded),
        gross,
        discount,
        tax,
        allocations,
        item.get("gift_card") is True,
        item.get("requires_shipping") is not False,
    )


def _application(allocation: Any, applications: list[Any]) -> Mapping[str, Any] | None:
    index = allocation.get("discount_application_index") if isinstance(allocation, dict) else None
    if type(index) is not int or not 0 <= index < len(applications) or not isinstance(applications[index], dict):
        return None
    found: Mapping[str, Any] = applications[index]
    return found


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _allocated(item: Any, where: str) -> Decimal:
    allocations = item.get("discount_allocations") if isinstance(item, dict) else None
    if not allocations:
        return ZERO
    return sum((_money(a, "amount", f"{where}.discount_allocations") for a in allocations), ZERO)


def _amount_of(item: Mapping[str, Any], key: str) -> Decimal:
    """An amount given plainly or as Shopify's `<key>_set` money bag in the shop's currency."""
    money = item.get(f"{key}_set")
    if isinstance(money, dict) and isinstance(money.get("shop_money"), dict):
        return _money(money["shop_money"], "amount", key)
    return _money(item, key, "order: refunds") if key in item else ZERO


def _money(data: Any, key: str, where: str, within: str = "") -> Decimal:
    value = data.get(key) if isinstance(data, dict) else None
    if type(value) is str or type(value) is int:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if amount.is_finite():
                return amount
    raise ReturnRequestError(f"{where}{within}.{key}: expected an amount, got {value!r}")

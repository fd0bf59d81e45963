"""Who a `customers/redact` request names, and whether something the worker holds is about them."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

# A contact shorter than this could turn up in anyone's payload (a phone typed as "12"): not searched for.
MIN_CONTACT_LENGTH = 6


@dataclass(frozen=True)
class Forgotten:
    """A customer to forget in one shop: their id, their orders, and the e-mail and phone Shopify's request gives,
    which find what was held without either (a guest checkout, a shipment of an order never stored)."""

    shop: str
    customer_id: int
    order_ids: frozenset[int]
    contacts: tuple[str, ...] = ()

    @classmethod
    def from_request(cls, shop: str, payload: dict[str, Any]) -> Forgotten | None:
        customer = payload.get("customer") or {}
        if not isinstance(customer, dict) or not isinstance(customer.get("id"), int):
            return None
        contacts = (customer.get("email"), customer.get("phone"))
        return cls(
            shop,
            customer["id"],
            frozenset(i for i in payload.get("orders_to_redact") or [] if isinstance(i, int)),
            tuple(c.lower() for c in contacts if isinstance(c, str) and len(c) >= MIN_CONTACT_LENGTH),
        )

    def with_orders(self, order_ids: frozenset[int]) -> Forgotten:
        return replace(self, order_ids=self.order_ids | order_ids)

    def names(self, shop: str, order_id: int | None, payload: dict[str, Any]) -> bool:
        """The shop's event (or job) is about this customer: one of their orders, their customer record, or a
        payload that quotes their e-mail or phone."""
        if shop != self.shop:
            return False
        if order_id in self.order_ids:
            return True
        customer = payload.get("customer")
        if isinstance(customer, dict) and customer.get("id") == self.customer_id:
            return True
        text = json.dumps(payload, ensure_ascii=False).lower()
        return any(contact in text for contact in self.contacts)

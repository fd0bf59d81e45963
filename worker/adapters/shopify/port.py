"""What the worker may ask of Shopify, in plain values, so its tests can stand in a plain fake class."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

from worker.domain.split.execution import FulfillmentOrder


def topic_enum_name(topic: str) -> str:
    """orders/create -> ORDERS_CREATE: how the Admin API names a webhook topic."""
    return topic.upper().replace("/", "_")


@dataclass(frozen=True)
class ReturnLine:
    line_item_id: int
    quantity: int
    reason: str  # Shopify's ReturnReason in lower case: "defective", "size_too_small", ...
    customer_note: str | None


@dataclass(frozen=True)
class ReturnRequest:
    id: str
    order_id: str
    status: str  # lower case: requested, open, declined, closed, canceled
    lines: tuple[ReturnLine, ...]
    created_at: datetime | None
    exchange: bool = False  # the customer chose other items in exchange (the return's exchange line items)


@dataclass(frozen=True)
class FulfillmentSummary:
    id: str  # Fulfillment gid: what fetch_fulfillment takes
    updated_at: datetime


@dataclass(frozen=True)
class ReturnSummary:
    id: str  # Return gid
    status: str  # lower case, as ReturnRequest.status


@dataclass(frozen=True)
class OrderSummary:
    """What reconciliation compares with the records before reading anything in full."""

    id: str  # Order gid: what fetch_order takes
    updated_at: datetime
    fulfillments: tuple[FulfillmentSummary, ...]
    returns: tuple[ReturnSummary, ...]


@dataclass(frozen=True)
class DisposedLine:
    line_item_id: int | None  # the order's line item; None where Shopify does not link one
    quantity: int
    dispositions: Mapping[str, int]  # disposition type, lower case (restocked, missing, ...) -> units


@dataclass(frozen=True)
class ReverseFulfillmentOrder:
    """A parcel's worth of a return coming back, with what the merchant found for each line."""

    id: str
    return_id: str | None  # the Return gid it belongs to; None when Shopify does not list it
    order_id: str | None
    lines: tuple[DisposedLine, ...]


@dataclass(frozen=True)
class RefundToProcess:
    """What `process_return` asks Shopify to do: units per order line item and the money, in the order's currency."""

    currency: str
    lines: Mapping[int, int]
    to_payment: str  # decimal strings
    store_credit: str
    shipping: str
    note: str | None = None
    exchange: bool = False  # the return's exchange line items are processed too: the goods go out


class ProductFacts(TypedDict):
    product_type: str
    tags: list[str]


class ShopifyPort(Protocol):
    """The Shopify operations the worker's jobs use; `ShopifyClient` is the real one."""

    def fetch_return(self, return_gid: str) -> ReturnRequest: ...

    def fetch_order(self, order_gid: str) -> dict[str, Any]: ...

    def fetch_product_facts(self, product_ids: Iterable[int | str]) -> dict[int, ProductFacts]: ...

    def fetch_fulfillment_orders(self, order_gid: str) -> list[FulfillmentOrder]: ...

    def fetch_inventory(
        self, variant_ids: Iterable[int | str], location_ids: Iterable[int | str] | None = None
    ) -> dict[int, dict[int, int]]: ...

    def fetch_webhook_subscriptions(self) -> list[str]: ...

    def orders_updated_since(
        self, since: datetime, after: str | None = None
    ) -> tuple[list[OrderSummary], str | None]: ...

    def count_orders_updated_since(self, since: datetime) -> int: ...

    def fetch_fulfillment(self, fulfillment_gid: str) -> dict[str, Any]: ...

    def fetch_reverse_fulfillment_order(self, gid: str) -> ReverseFulfillmentOrder: ...

    def process_return(self, return_gid: str, refund: RefundToProcess) -> dict[str, Any]: ...

    def approve_return(self, return_gid: str) -> None: ...

    def decline_return(self, return_gid: str, reason: str, note: str | None = None) -> None: ...

    def move_fulfillment_order(
        self, fulfillment_order_gid: str, location_id: int | str, lines: Mapping[str, int] | None = None
    ) -> str: ...

    def split_fulfillment_order(self, fulfillment_order_gid: str, lines: Mapping[str, int]) -> str: ...

    def hold_fulfillment_order(
        self,
        fulfillment_order_gid: str,
        reason: str = "INVENTORY_OUT_OF_STOCK",
        note: str | None = None,
        lines: Mapping[str, int] | None = None,
        handle: str | None = None,
    ) -> str | None: ...

    def add_tags(self, gid: str, tags: Iterable[str]) -> None: ...

    def set_order_note(self, order_gid: str, note: str) -> None: ...

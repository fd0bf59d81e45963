"""What a signed body must hold before it is queued: its topic's shape, and only values the records can keep.

Shopify signs the body but not the topic header, so a validly signed body can arrive under any topic: an order
resent as `shop/redact` must not reach the job that deletes a shop. Each topic therefore names the fields its
job relies on, with their kind, and a body without them is refused with a 400 that names the field. The same
table bounds what lands in a column (ids in 64 bits, counts in 32, strings within their column's length), and no
string anywhere may hold a NUL and no integer may leave 64 bits: a job holding such a value could never succeed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

INT64_MAX = 2**63 - 1
INT32_MAX = 2**31 - 1
MISSING = object()


class PayloadError(ValueError):
    """The body cannot be taken under its topic; the message says which field and why."""


@dataclass(frozen=True)
class Kind:
    name: str
    max_chars: int = 0

    def problem(self, value: Any, shop: str) -> str | None:
        """Why `value` is not of this kind, or None."""
        if self.name in ("id", "count"):
            if isinstance(value, bool) or not isinstance(value, int):
                return "must be an integer"
            low, high = (1, INT64_MAX) if self.name == "id" else (0, INT32_MAX)
            return None if low <= value <= high else f"must be between {low} and {high}"
        if self.name == "object":
            return None if isinstance(value, dict) else "must be an object"
        if self.name == "list":
            return None if isinstance(value, list) else "must be a list"
        if not isinstance(value, str):
            return "must be a string"
        if self.name == "shop":
            return None if value.strip().lower() == shop else "must be the shop named by X-Shopify-Shop-Domain"
        if self.name == "time":
            return None if _is_time(value) else "must be an ISO-8601 time"
        if self.name == "gid":
            return None if _GID.fullmatch(value) else "must be a Shopify global id (gid://shopify/...)"
        return None if len(value) <= self.max_chars else f"must be at most {self.max_chars} characters"


ID, COUNT, OBJECT, LIST = Kind("id"), Kind("count"), Kind("object"), Kind("list")
SHOP, TIME, GID = Kind("shop"), Kind("time"), Kind("gid")
_GID = re.compile(r"gid://shopify/[A-Za-z]{1,60}/[0-9]{1,19}")


def text(max_chars: int) -> Kind:
    return Kind("text", max_chars)


# (path, kind, required): "a.b" reads a nested object, "a[]" each item of a list, "a[].b" a field of each item.
Shape = tuple[tuple[str, Kind, bool], ...]

_ORDER: Shape = (
    ("id", ID, True),
    ("line_items", LIST, True),
    ("line_items[]", OBJECT, True),
    ("line_items[].id", ID, True),
    ("line_items[].quantity", COUNT, True),
    ("line_items[].current_quantity", COUNT, False),
    ("line_items[].product_id", ID, False),
    ("line_items[].variant_id", ID, False),
    ("line_items[].title", text(255), False),
    ("line_items[].sku", text(255), False),
    ("line_items[].price", text(32), False),
    ("name", text(100), False),
    ("email", text(255), False),
    ("contact_email", text(255), False),
    ("currency", text(3), False),
    ("total_price", text(32), False),
    ("financial_status", text(40), False),
    ("fulfillment_status", text(40), False),
    ("customer.id", ID, False),
    ("created_at", TIME, False),
    ("updated_at", TIME, True),  # every order webhook carries it; the record keeps the newest version by it
    ("cancelled_at", TIME, False),
)
_FULFILLMENT: Shape = (
    ("id", ID, True),
    ("order_id", ID, True),
    ("location_id", ID, False),
    ("status", text(40), False),
    ("shipment_status", text(40), False),
    ("tracking_company", text(255), False),
    ("created_at", TIME, False),
    ("updated_at", TIME, False),
)
_FULFILLMENT_EVENT: Shape = (
    ("id", ID, True),
    ("fulfillment_id", ID, True),
    ("order_id", ID, True),
    ("status", text(40), True),
    ("happened_at", TIME, False),
    ("created_at", TIME, False),
)
_RETURN: Shape = (
    ("id", ID, True),
    ("status", text(20), False),
    ("order", OBJECT, False),
    ("order.id", ID, False),
    ("order_id", ID, False),
)
# Shopify documents no fields for returns/process and only the gid for returns/update: the return is read back.
_RETURN_BY_GID: Shape = (("id", ID, False), ("admin_graphql_api_id", GID, False))
_DISPOSE: Shape = (
    ("id", ID, True),
    ("admin_graphql_api_id", GID, False),
    ("dispositions", LIST, False),
    ("dispositions[]", OBJECT, True),
    ("dispositions[].quantity", COUNT, False),
    ("dispositions[].type", text(40), False),
    ("total_dispositions", COUNT, False),
)
_REFUND: Shape = (
    ("id", ID, True),
    ("order_id", ID, True),
    ("return.id", ID, False),
    ("refund_line_items", LIST, False),
    ("refund_line_items[]", OBJECT, True),
    ("refund_line_items[].line_item_id", ID, True),
    ("refund_line_items[].quantity", COUNT, False),
    ("transactions", LIST, False),
    ("created_at", TIME, False),
)
_SHOP_REDACT: Shape = (("shop_id", ID, True), ("shop_domain", SHOP, True))
_CUSTOMER: Shape = (*_SHOP_REDACT, ("customer", OBJECT, True), ("customer.id", ID, True))

SHAPES: dict[str, Shape] = {
    **dict.fromkeys(
        (
            "orders/create",
            "orders/updated",
            "orders/paid",
            "orders/cancelled",
            "orders/fulfilled",
            "orders/partially_fulfilled",
        ),
        _ORDER,
    ),
    "orders/edited": (("order_edit", OBJECT, True), ("order_edit.order_id", ID, True)),
    "fulfillment_orders/order_routing_complete": (
        ("fulfillment_order", OBJECT, True),
        ("fulfillment_order.id", GID, True),
    ),
    "fulfillments/create": _FULFILLMENT,
    "fulfillments/update": _FULFILLMENT,
    "fulfillment_events/create": _FULFILLMENT_EVENT,
    "refunds/create": _REFUND,
    **dict.fromkeys(
        (
            "returns/request",
            "returns/approve",
            "returns/decline",
            "returns/cancel",
            "returns/close",
            "returns/reopen",
        ),
        _RETURN,
    ),
    "returns/update": (("admin_graphql_api_id", GID, True), *_RETURN_BY_GID[:1]),
    "returns/process": _RETURN_BY_GID,
    "reverse_fulfillment_orders/dispose": _DISPOSE,
    "app/uninstalled": (("id", ID, True), ("myshopify_domain", SHOP, False)),
    "shop/redact": _SHOP_REDACT,
    "customers/redact": (*_CUSTOMER, ("orders_to_redact", LIST, True), ("orders_to_redact[]", ID, True)),
    "customers/data_request": (
        *_CUSTOMER,
        ("orders_requested", LIST, True),
        ("orders_requested[]", ID, True),
        ("data_request", OBJECT, True),
        ("data_request.id", ID, True),
    ),
}


def check_payload(topic: str, shop: str, body: bytes, payload: dict[str, Any]) -> None:
    """Raise PayloadError unless `payload` (parsed from `body`) has `topic`'s shape and only storable values."""
    for path, kind, required in SHAPES.get(topic, ()):
        for where, value in _find(payload, path):
            if value is MISSING or value is None:
                if required:
                    raise PayloadError(f"{topic} needs {where}")
                continue
            problem = kind.problem(value, shop)
            if problem:
                raise PayloadError(f"{topic}: {where} {problem}")
    check_storable(body, payload)


# A JSON string escape of NUL, and runs of 19+ digits (where a 64-bit integer may end): both rare in real
# payloads, so the walk over every value runs only when the raw body shows one of them. The digit runs are found
# by mapping every digit to "1" and anything else to "0" and looking for nineteen ones: a substring search, about
# 15 times faster on a 15 KB order than the regular expression \d{19}, which tries a match at every digit.
_NUL_ESCAPE = b"\\u0000"
_DIGITS_AS_ONES = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x30 for byte in range(256))
_NINETEEN_DIGITS = b"1" * 19


def may_be_unstorable(body: bytes) -> bool:
    """Whether the raw body shows a NUL escape or a number of 19 digits or more, which the records may not hold."""
    return _NUL_ESCAPE in body or _NINETEEN_DIGITS in body.translate(_DIGITS_AS_ONES)


def check_storable(body: bytes, payload: Any) -> None:
    """No string with a NUL (PostgreSQL refuses it in text and JSON) and no integer beyond 64 bits anywhere."""
    if may_be_unstorable(body):
        check_values(payload)


def check_values(payload: Any) -> None:
    """check_storable for a payload without its raw body (a job's): every value is looked at."""
    for where, value in _walk(payload, "$"):
        if isinstance(value, str) and "\x00" in value:
            raise PayloadError(f"{where} contains a NUL character, which the records cannot hold")
        if isinstance(value, float) and value.is_integer() and abs(value) > INT64_MAX:
            raise PayloadError(f"{where} is a number beyond the 64-bit integers the records hold")
        if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise PayloadError(f"{where} is a number beyond the 64-bit integers the records hold")


def _walk(value: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield f"{where} key", key
            yield from _walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]")
    else:
        yield where, value


def _find(payload: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """(where, value) for each place `path` names; MISSING where a field is absent, nothing under an absent
    or null parent (the parent's own entry says whether it is required)."""
    places: list[tuple[str, Any]] = [("", payload)]
    for part in path.split("."):
        name, each = (part[:-2], True) if part.endswith("[]") else (part, False)
        found: list[tuple[str, Any]] = []
        for where, value in places:
            if value is MISSING or value is None:
                continue
            if not isinstance(value, dict):
                continue
            child_where = f"{where}.{name}" if where else name
            child = value.get(name, MISSING)
            if not each:
                found.append((child_where, child))
            elif isinstance(child, list):
                found += [(f"{child_where}[{index}]", item) for index, item in enumerate(child)]
        places = found
    return iter(places)


def _is_time(value: str) -> bool:
    if len(value) > 40:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def storable_copy(value: Any) -> Any:
    """`value` with NULs replaced by U+FFFD and integers beyond 64 bits written as strings: what the event log can
    keep of a payload that failed check_values, so that a person can still read it."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, bool) or not isinstance(value, int | list | dict):
        return value
    if isinstance(value, int):
        return value if -INT64_MAX - 1 <= value <= INT64_MAX else str(value)
    if isinstance(value, list):
        return [storable_copy(item) for item in value]
    return {storable_copy(key): storable_copy(item) for key, item in value.items()}

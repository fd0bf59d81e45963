"""The return request and product facts as typed values; anything the customer did not state stays None."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from worker.domain.policy import (
    FACT_VALUES,
    RETURN_REASONS,
    InspectedFact,
    ReturnReason,
)

Preference = Literal["refund", "exchange", "store_credit"]


class ReturnRequestError(ValueError):
    """Input that cannot be evaluated (unknown line, bad value, bad date); the message says which."""


@dataclass(frozen=True, slots=True)
class ReturnLine:
    line_item_id: int
    quantity: int
    reason: ReturnReason
    preferred_resolution: Preference
    facts: Mapping[InspectedFact, str]  # only what the customer stated; absent means unknown
    reported_at: datetime | None
    photos: bool | None
    delivered_at: datetime | None = None  # this line's own parcel; before the request's dates
    fulfilled_at: datetime | None = None
    note: str | None = None  # the customer's words, for the person who reviews the line
    found: tuple[str, ...] = ()  # what inspection found: not_returned, units_missing, contradictory_facts


@dataclass(frozen=True)
class ReturnRequest:
    requested_at: datetime | None
    delivered_at: datetime | None
    fulfilled_at: datetime | None
    gift: bool
    gift_shipped_to_recipient: bool
    lines: tuple[ReturnLine, ...]
    # Units per line item in the order's other return requests (not declined or cancelled), refunded or not.
    returned_before: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProductFacts:
    product_type: str  # lower case; tags and types compare case-insensitively
    tags: frozenset[str]


_PREFERENCES = frozenset(get_args(Preference))


def parse_request(data: Any) -> ReturnRequest:
    if not isinstance(data, Mapping):
        raise ReturnRequestError("request: expected a JSON object")
    lines = data.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ReturnRequestError("request: lines must be a non-empty list")
    parsed = tuple(_parse_line(line, f"request: lines[{i}]") for i, line in enumerate(lines))
    ids = [line.line_item_id for line in parsed]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ReturnRequestError(f"request: line item {duplicates[0]} appears more than once")
    return ReturnRequest(
        requested_at=_timestamp(data, "requested_at", "request"),
        delivered_at=_timestamp(data, "delivered_at", "request"),
        fulfilled_at=_timestamp(data, "fulfilled_at", "request"),
        gift=_flag(data, "gift", "request") is True,
        gift_shipped_to_recipient=_flag(data, "gift_shipped_to_recipient", "request") is True,
        lines=parsed,
        returned_before=_returned_before(data.get("returned_before")),
    )


def _returned_before(data: Any) -> dict[int, int]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ReturnRequestError("request: returned_before must be an object of line item id -> units")
    units = {}
    for key, quantity in data.items():
        where = f"request: returned_before[{key}]"
        count = _integer(quantity, where)
        units[_integer(key, where)] = count
    return units


def parse_products(data: Any) -> dict[int, ProductFacts]:
    """Product type and tags per product id; Shopify's comma-separated tag string is accepted too."""
    if not isinstance(data, Mapping):
        raise ReturnRequestError("products: expected a JSON object keyed by product id")
    products = {}
    for key, facts in data.items():
        where = f"products: {key}"
        product_id = _integer(key, where)
        if not isinstance(facts, Mapping):
            raise ReturnRequestError(f"{where}: expected an object with product_type and tags")
        product_type = facts.get("product_type") or ""
        tags = facts.get("tags") or []
        if isinstance(tags, str):
            tags = tags.split(",")
        if not isinstance(product_type, str) or not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ReturnRequestError(f"{where}: product_type must be a string and tags a list of strings")
        products[product_id] = ProductFacts(
            product_type.strip().lower(), frozenset(t.strip().lower() for t in tags if t.strip())
        )
    return products


def _parse_line(data: Any, where: str) -> ReturnLine:
    if not isinstance(data, Mapping):
        raise ReturnRequestError(f"{where}: expected an object")
    quantity = _integer(data.get("quantity"), f"{where}.quantity")
    if quantity < 1:
        raise ReturnRequestError(f"{where}.quantity: must be at least 1, got {quantity}")
    facts: dict[InspectedFact, str] = {}
    for fact, values in FACT_VALUES.items():
        value = data.get(fact)
        if value is None:
            continue
        if fact == "tags_attached":
            facts[fact] = "attached" if _flag(data, fact, where) else "removed"
        else:
            facts[fact] = _choice(data, fact, values, where, required=True)
    return ReturnLine(
        line_item_id=_integer(data.get("line_item_id"), f"{where}.line_item_id"),
        quantity=quantity,
        reason=_choice(data, "reason", RETURN_REASONS, where, required=True),
        preferred_resolution=_choice(data, "preferred_resolution", _PREFERENCES, where, required=False) or "refund",
        facts=facts,
        reported_at=_timestamp(data, "reported_at", where),
        photos=_flag(data, "photos", where),
        delivered_at=_timestamp(data, "delivered_at", where),
        fulfilled_at=_timestamp(data, "fulfilled_at", where),
        note=_note(data, where),
    )


def _note(data: Mapping[str, Any], where: str) -> str | None:
    value = data.get("customer_note")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReturnRequestError(f"{where}.customer_note: expected text, got {type(value).__name__}")
    return value.strip() or None


def _integer(value: Any, where: str) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ReturnRequestError(f"{where}: expected a whole number, got {value!r}")


def _choice(data: Mapping[str, Any], key: str, values: frozenset[str], where: str, required: bool) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if value not in values:
        raise ReturnRequestError(f"{where}.{key}: {value!r} is not one of {', '.join(sorted(values))}")
    return value


def _flag(data: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise ReturnRequestError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def parse_timestamp(value: Any, where: str) -> datetime:
    """An ISO-8601 instant; an offset is required because the store's calendar day depends on it."""
    if not isinstance(value, str):
        raise ReturnRequestError(f"{where}: expected an ISO-8601 date-time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ReturnRequestError(f"{where}: {value!r} is not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        raise ReturnRequestError(f"{where}: {value!r} needs a UTC offset, e.g. 2026-03-10T12:00:00Z")
    return moment


def _timestamp(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    return None if value is None else parse_timestamp(value, f"{where}.{key}")


# Note attributes a checkout or gift app writes when the buyer marks a gift; compared case-insensitively.
_GIFT_KEYS = frozenset({"gift", "is_gift", "is gift", "this is a gift", "gift_order", "gift order"})
_GIFT_TEXT_KEYS = frozenset({"gift_message", "gift message", "gift_note", "gift note"})
_RECIPIENT_KEYS = frozenset(
    {"gift_shipped_to_recipient", "ship_to_recipient", "ship to recipient", "shipped to recipient", "send to recipient"}
)
_YES = frozenset({"true", "yes", "1", "on", "y", "oui"})


def gift_flags(note_attributes: Any) -> tuple[bool, bool]:
    """(gift, shipped to its recipient) from an order's `note_attributes` ([{"name", "value"}]); where none of
    the known names is present both are False, so the buyer's own refund rules apply."""
    gift = to_recipient = False
    for attribute in note_attributes if isinstance(note_attributes, list) else ():
        if not isinstance(attribute, Mapping):
            continue
        name, value = attribute.get("name"), attribute.get("value")
        if not isinstance(name, str):
            continue
        key, text = name.strip().lower(), str(value or "").strip().lower()
        if key in _GIFT_KEYS and text in _YES or key in _GIFT_TEXT_KEYS and text:
            gift = True
        elif key in _RECIPIENT_KEYS and text in _YES:
            gift = to_recipient = True
    return gift, to_recipient

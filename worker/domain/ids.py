"""Shopify's two spellings of an id: the global id (`gid://shopify/Order/123`) and the number REST uses."""

from __future__ import annotations


def to_gid(kind: str, value: int | str) -> str:
    """`gid://shopify/<kind>/<id>` from a numeric id; a gid passes through unchanged."""
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{int(text)}"


def legacy_id(gid: str) -> int:
    """The numeric id at the end of a gid (REST payloads and policy files use these)."""
    return int(str(gid).rsplit("/", 1)[-1].split("?", 1)[0])

"""How commands print: tables with aligned columns, JSON in one layout, and orders named as Shopify names them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import click

from worker.cli import InputError


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One line per row under a header line, each column as wide as its widest cell; numbers align right. Prints
    nothing when there is no row, so that an empty answer is empty."""
    values = [list(row) for row in rows]
    if not values:
        return
    cells = [["-" if value is None else str(value) for value in row] for row in values]
    right = [_numeric([row[i] for row in values]) for i in range(len(headers))]
    widths = [max(len(headers[i]), *(len(row[i]) for row in cells)) for i in range(len(headers))]
    for line in [list(headers), *cells]:
        parts = [
            cell.rjust(width) if r else cell.ljust(width) for cell, width, r in zip(line, widths, right, strict=True)
        ]
        click.echo("  ".join(parts).rstrip())


def _numeric(column: list[Any]) -> bool:
    present = [value for value in column if value is not None]
    return bool(present) and all(isinstance(value, int | float) for value in present)


def print_json(value: Any) -> None:
    """Every command's JSON: indented by two, keys in the order the program gives them, UTF-8 as it is."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class OrderRef:
    """An order as the person typed it: its name as Shopify shows it (`#1001`), or its id."""

    name: str | None = None
    id: int | None = None

    def __str__(self) -> str:
        return self.name or str(self.id)


class OrderParam(click.ParamType):
    name = "#NAME|ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> OrderRef:
        if isinstance(value, OrderRef):
            return value
        text = str(value).strip()
        if text.startswith("#") and len(text) > 1:
            return OrderRef(name=text)
        if text.isdigit():
            return OrderRef(id=int(text))
        self.fail(f"{value!r} is neither an order name such as #1001 nor an order id", param, ctx)


def resolve_order(records: Any, ref: OrderRef, shop: str | None) -> tuple[str | None, int]:
    """(shop, order id) for a reference; a name is looked up in the records, and must name one order."""
    if ref.id is not None:
        return shop, ref.id
    found = records.find_orders(ref.name, shop)
    if not found:
        raise InputError(f"no order named {ref.name} in the records" + (f" of {shop}" if shop else ""))
    if len(found) > 1:
        shops = ", ".join(found_shop for found_shop, _id in found)
        raise InputError(f"{ref.name} names orders of several shops ({shops}): pass --shop")
    return found[0]

"""Money in a currency's own minor unit, and shares of an amount that add back up to it exactly.

A line of three units that cost 10.00 together is refunded 3.34, 3.33 and 3.33 when its units come back one by
one: each unit's share is fixed by its position, so any run of returns adds up to what the line cost.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies whose minor unit is not the cent; every other code has two decimals.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF")
        + ("XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal('1') for JPY, Decimal('0.01') for USD, Decimal('0.001') for KWD."""
    return Decimal(1).scaleb(-_EXPONENTS.get(currency.upper(), 2))


def _exponent(unit: Decimal) -> int:
    found = _UNIT_EXPONENTS.get(unit)
    if found is None:
        found = _UNIT_EXPONENTS[unit] = int(unit.as_tuple().exponent)
    return found


_UNIT_EXPONENTS: dict[Decimal, int] = {}


def rounded(amount: Decimal, unit: Decimal) -> Decimal:
    """To the nearest minor unit, halves away from zero, as a cashier rounds."""
    return amount.quantize(unit, ROUND_HALF_UP)


def shares(total: Decimal, count: int, first: int, taken: int, unit: Decimal) -> Decimal:
    """The sum of shares first .. first+taken-1 of `total` split over `count` positions in minor units.

    The remainder goes one minor unit at a time to the first positions, so the shares of every position add up
    to `total` (rounded to the unit) exactly, whatever order the positions are asked for in.
    """
    if count <= 0 or taken <= 0:
        return Decimal(0).quantize(unit)
    if first <= 0 and taken >= count:
        return rounded(total, unit)
    exponent = _exponent(unit)
    units = int(rounded(total, unit).scaleb(-exponent))
    base, extra = divmod(units, count)
    end = min(first + taken, count)
    first = max(0, min(first, count))
    bigger = max(0, min(end, extra) - first)
    amount = base * (end - first) + bigger
    return Decimal(amount).scaleb(exponent) if amount else Decimal(0).quantize(unit)

"""Amounts rounded as a cashier rounds them, in each currency's own minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from worker.domain.money import minor_unit, rounded


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        pytest.param("2.125", "USD", "2.13", id="a half cent goes up"),
        pytest.param("2.135", "EUR", "2.14", id="whatever the digit before it"),
        pytest.param("-2.125", "USD", "-2.13", id="a refund's half cent goes away from zero too"),
        pytest.param("1050.5", "JPY", "1051", id="yen have no cents"),
        pytest.param("3.2345", "KWD", "3.235", id="dinars have three decimals"),
    ],
)
def test_halves_are_rounded_away_from_zero_in_the_currencys_minor_unit(
    amount: str, currency: str, expected: str
) -> None:
    assert str(rounded(Decimal(amount), minor_unit(currency))) == expected

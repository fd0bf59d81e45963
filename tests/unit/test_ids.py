"""Shopify's two spellings of an id read and written both ways."""

from __future__ import annotations

import pytest

from worker.domain.ids import legacy_id, to_gid


@pytest.mark.parametrize(
    ("gid", "number"),
    [
        pytest.param("gid://shopify/Order/5001", 5001, id="plain"),
        pytest.param("gid://shopify/FulfillmentOrder/1046000790?fulfillment_hold=true", 1046000790, id="parameters"),
        pytest.param("5001", 5001, id="already a number"),
    ],
)
def test_the_number_rest_uses_is_read_from_a_global_id(gid: str, number: int) -> None:
    assert legacy_id(gid) == number


def test_a_number_becomes_a_global_id_and_a_global_id_stays_as_it_is() -> None:
    assert to_gid("Order", 5001) == "gid://shopify/Order/5001"
    assert to_gid("Order", "5001") == "gid://shopify/Order/5001"
    assert to_gid("Order", "gid://shopify/Order/5001") == "gid://shopify/Order/5001"

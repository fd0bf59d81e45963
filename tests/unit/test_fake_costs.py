"""Query costs as Shopify documents them, for the fake Admin API's cost bucket, and a contract: each document the
adapter sends stays under Shopify's 1,000-point limit for a single query at the largest variables it sends."""

from __future__ import annotations

import pytest

from tests.fakeshopify.costs import SINGLE_QUERY_LIMIT, CostBucket, actual_cost, requested_cost
from worker.adapters.shopify import documents
from worker.adapters.shopify.client import PRODUCTS_PER_QUERY, VARIANTS_PER_QUERY

VERSION = "2026-04"


def test_a_connection_costs_two_plus_its_page_size_times_one_node() -> None:
    # documents.py reckons a page of changed orders at 2 + 25 x (1 + 10 + 7)
    assert requested_cost(documents.ORDERS_UPDATED_SINCE, {"query": "x"}, VERSION) == 452


def test_nested_connections_multiply() -> None:
    query = "query Q { orders(first: 10) { nodes { lineItems(first: 5) { nodes { id variant { id } } } } } }"

    assert requested_cost(query, {}, VERSION) == 2 + 10 * (1 + 2 + 5 * (1 + 1))


def test_a_page_size_given_as_a_variable_counts() -> None:
    query = "query Q($n: Int) { orders(first: $n) { nodes { id } } }"

    assert requested_cost(query, {"n": 7}, VERSION) == 2 + 7


def test_nodes_by_id_cost_one_object_per_id() -> None:
    ids = [f"gid://shopify/Product/{n}" for n in range(4)]

    assert requested_cost(documents.FETCH_PRODUCT_FACTS, {"ids": ids}, VERSION) == 4


def test_a_mutation_costs_ten_whatever_it_selects() -> None:
    assert requested_cost(documents.SPLIT_FULFILLMENT_ORDER, {"splits": []}, VERSION) == 10


def test_the_actual_cost_counts_what_came_back() -> None:
    page = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}

    assert actual_cost(documents.ORDERS_UPDATED_SINCE, {"query": "x"}, VERSION, {"orders": page}) == 2
    one = {
        **page,
        "nodes": [
            {
                "id": "gid://shopify/Order/1",
                "updatedAt": "2026-01-01T00:00:00Z",
                "fulfillments": [{"id": "gid://shopify/Fulfillment/1", "updatedAt": "2026-01-01T00:00:00Z"}] * 3,
                "returns": {"nodes": [{"id": "gid://shopify/Return/1", "status": "OPEN"}]},
            }
        ],
    }
    assert actual_cost(documents.ORDERS_UPDATED_SINCE, {"query": "x"}, VERSION, {"orders": one}) == 2 + (
        1 + 3 + (2 + 1)
    )


LARGEST_VARIABLES = {
    "FETCH_PRODUCT_FACTS": {"ids": [f"gid://shopify/Product/{n}" for n in range(PRODUCTS_PER_QUERY)]},
    "FETCH_INVENTORY": {"ids": [f"gid://shopify/ProductVariant/{n}" for n in range(VARIANTS_PER_QUERY)]},
}
QUERIES = sorted(
    name
    for name, value in vars(documents).items()
    if not name.startswith("_") and isinstance(value, str) and value.lstrip().startswith("query")
)


@pytest.mark.parametrize("name", QUERIES)
def test_every_query_of_the_adapter_stays_under_shopifys_single_query_limit(name: str) -> None:
    cost = requested_cost(getattr(documents, name), LARGEST_VARIABLES.get(name, {}), VERSION)

    assert 0 < cost <= SINGLE_QUERY_LIMIT


def test_the_bucket_refills_at_its_restore_rate_up_to_its_size() -> None:
    bucket = CostBucket(maximum=1000.0, restore_rate=50.0)

    assert bucket.take(800.0)
    assert not bucket.take(300.0)  # 200 left: nothing is taken
    bucket.pass_time(2.0)
    assert bucket.available() == pytest.approx(300.0, abs=0.5)
    bucket.pass_time(60.0)
    assert bucket.available() == 1000.0

"""Every GraphQL document the adapter sends is one Shopify accepts, in the version we speak and the next one,
without a deprecated field, argument or enum value (Shopify removes those in a later version)."""

from __future__ import annotations

import pytest

from tests.shopify_schema import VERSIONS, document_problems
from worker.adapters.shopify import documents

DOCUMENTS = {
    name: value
    for name, value in vars(documents).items()
    if not name.startswith("_") and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
}


def test_every_document_of_the_adapter_is_checked() -> None:
    assert {"FETCH_RETURN", "FETCH_ORDER", "MOVE_FULFILLMENT_ORDER", "SET_ORDER_NOTE"} <= set(DOCUMENTS)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_document_validates_against_shopifys_schema_without_deprecated_fields(name: str, version: str) -> None:
    assert document_problems(DOCUMENTS[name], version) == ()


def test_a_deprecated_field_is_reported_with_shopifys_advice() -> None:
    old = """
    query Old($id: ID!) {
      return(id: $id) { returnLineItems(first: 1) { nodes { ... on ReturnLineItem { returnReason } } } }
    }
    """

    assert document_problems(old, "2026-04") == (
        "The field ReturnLineItem.returnReason is deprecated. Use `returnReasonDefinition` instead. This field will be"
        " removed in the future.",
    )
    assert document_problems(old, "2026-04", deprecated_allowed=True) == ()


def test_a_field_shopify_does_not_have_is_reported() -> None:
    assert document_problems("query Q { shop { nme } }", "2026-07") == (
        "Cannot query field 'nme' on type 'Shop'. Did you mean 'name'?",
    )

"""Who a customers/redact request names, and which events and jobs are about them."""

from __future__ import annotations

import pytest

from worker.domain.privacy import Forgotten

SHOP = "little-twinkle-stars.myshopify.com"
REQUEST = {
    "shop_id": 1,
    "shop_domain": SHOP,
    "customer": {"id": 7001, "email": "Camille@Example.fr", "phone": "+33 6 12 34 56 78"},
    "orders_to_redact": [5001, 5004],
}
CAMILLE = Forgotten.from_request(SHOP, REQUEST)


def test_a_request_names_the_customer_her_orders_and_her_contacts_in_lower_case():
    assert Forgotten(SHOP, 7001, frozenset({5001, 5004}), ("camille@example.fr", "+33 6 12 34 56 78")) == CAMILLE


@pytest.mark.parametrize(
    "customer",
    [None, {}, {"id": "7001"}, {"email": "camille@example.fr"}],
    ids=["no customer", "an empty customer", "an id that is not a number", "no id"],
)
def test_a_request_without_a_customer_id_names_no_one(customer):
    assert Forgotten.from_request(SHOP, {**REQUEST, "customer": customer}) is None


def test_a_contact_too_short_to_tell_her_apart_is_not_searched_for():
    forgotten = Forgotten.from_request(SHOP, {**REQUEST, "customer": {"id": 7001, "email": "", "phone": "12"}})
    assert forgotten is not None and forgotten.contacts == ()
    assert not forgotten.names(SHOP, 9999, {"note": "table 12"})


@pytest.mark.parametrize(
    ("shop", "order_id", "payload", "named"),
    [
        (SHOP, 5004, {"id": 1, "order_id": 5004}, True),
        (SHOP, 6001, {"customer": {"id": 7001}}, True),
        (SHOP, None, {"email": "CAMILLE@example.fr", "destination": {}}, True),
        (SHOP, 6001, {"billing_address": {"phone": "+33 6 12 34 56 78"}}, True),
        (SHOP, 6001, {"customer": {"id": 7002, "email": "noe@example.com"}}, False),
        ("other.myshopify.com", 5004, {"customer": {"id": 7001}}, False),
    ],
    ids=[
        "one of the orders listed",
        "an order under her customer id",
        "a shipment quoting her e-mail in another case",
        "an order quoting her phone",
        "someone else's order",
        "another shop's order with the same ids",
    ],
)
def test_an_event_is_about_her_by_order_customer_id_or_contact_and_only_in_her_shop(shop, order_id, payload, named):
    assert CAMILLE.names(shop, order_id, payload) is named


def test_orders_found_later_are_added_to_those_listed():
    assert CAMILLE.with_orders(frozenset({5005})).order_ids == {5001, 5004, 5005}

"""The fake Admin API never answers what Shopify could not: a wrong answer fails the test that caused it,
naming the path into the answer, even when the code under test swallows the error it got."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fakeshopify import FakeShop, example_order, reads, schema_guard, serve_fake_shop
from tests.fakeshopify.orders import EXAMPLE_ORDER_ID
from worker.adapters.shopify import ShopifyClient, ShopifyError

ROOT = Path(__file__).resolve().parents[2]
ORDER_GID = f"gid://shopify/Order/{EXAMPLE_ORDER_ID}"
AMOUNT_PATH = "order.lineItems.nodes[0].originalUnitPriceSet.shopMoney.amount"


def test_an_answer_outside_the_schema_is_replaced_by_an_error_naming_the_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "_money", lambda amount: {"shopMoney": {"amount": float(amount)}})
    shop = FakeShop()
    shop.add_order(example_order(), location_id=111)

    with serve_fake_shop(shop) as fake:
        client = ShopifyClient(fake.shop_domain, fake.access_token, fake.api_version, base_url=fake.base_url)
        with pytest.raises(ShopifyError) as raised:
            client.fetch_order(ORDER_GID)

    reported = schema_guard.take()  # taken, so that this test passes: it provoked the misfit on purpose
    assert f"{AMOUNT_PATH}: expected Decimal as a string, got float 89.99" in str(raised.value)
    assert len(reported) == 1
    assert reported[0].startswith("the answer to FetchOrder does not fit Shopify's schema:\n")
    assert f"  {AMOUNT_PATH}: expected Decimal as a string, got float 89.99" in reported[0].splitlines()


INNER_TESTS = """
import contextlib

from tests.fakeshopify import FakeShop, example_order, reads, serve_fake_shop
from tests.fakeshopify.orders import EXAMPLE_ORDER_ID
from worker.adapters.shopify import ShopifyClient, ShopifyError


def read_the_order_and_carry_on():
    shop = FakeShop()
    shop.add_order(example_order(), location_id=111)
    with serve_fake_shop(shop) as fake:
        client = ShopifyClient(fake.shop_domain, fake.access_token, fake.api_version, base_url=fake.base_url)
        with contextlib.suppress(ShopifyError):  # as a job that logs a failure and goes on would
            client.fetch_order(f"gid://shopify/Order/{EXAMPLE_ORDER_ID}")


def test_an_amount_sent_as_a_float(monkeypatch):
    monkeypatch.setattr(reads, "_money", lambda amount: {"shopMoney": {"amount": float(amount)}})
    read_the_order_and_carry_on()


def test_a_fulfillment_without_its_creation_time(monkeypatch):
    whole = reads._fulfillment
    monkeypatch.setattr(reads, "_fulfillment", lambda f: {k: v for k, v in whole(f).items() if k != "createdAt"})
    read_the_order_and_carry_on()


def test_an_answer_as_shopify_sends_it():
    read_the_order_and_carry_on()
"""


def test_a_wrong_fake_answer_fails_the_test_that_caused_it_with_the_path(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.fakeshopify.schema_guard import pytest_runtest_call, pytest_runtest_setup  # noqa: F401\n"
    )
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert "2 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "FAILED test_inner.py::test_an_amount_sent_as_a_float" in run.stdout
    assert "FAILED test_inner.py::test_a_fulfillment_without_its_creation_time" in run.stdout
    failures = [line.removeprefix("E").strip() for line in run.stdout.splitlines() if line.startswith("E ")]
    assert failures == [
        "tests.fakeshopify.schema_guard.AnswerOutsideSchema: the answer to FetchOrder does not fit Shopify's schema:",
        f"{AMOUNT_PATH}: expected Decimal as a string, got float 89.99",
        "order.lineItems.nodes[1].discountAllocations[0].allocatedAmountSet.shopMoney.amount: expected Decimal as a"
        " string, got float 8.0",
        "order.lineItems.nodes[1].originalUnitPriceSet.shopMoney.amount: expected Decimal as a string, got float 20.0",
        "order.lineItems.nodes[2].originalUnitPriceSet.shopMoney.amount: expected Decimal as a string, got float 25.0",
        "order.shippingLines.nodes[0].discountedPriceSet.shopMoney.amount: expected Decimal as a string, got float"
        " 10.0",
        "order.shippingLines.nodes[0].originalPriceSet.shopMoney.amount: expected Decimal as a string, got float 10.0",
        "tests.fakeshopify.schema_guard.AnswerOutsideSchema: the answer to FetchOrder does not fit Shopify's schema:",
        "order.fulfillments[0].createdAt: selected, but missing from the answer",
    ]

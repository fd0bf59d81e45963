"""A stateful fake of the Shopify Admin GraphQL API for tests: seed a `FakeShop`, serve it, look at it after."""

from tests.fakeshopify.app import create_fake_app
from tests.fakeshopify.oauth import FakeApp
from tests.fakeshopify.orders import example_order
from tests.fakeshopify.server import RunningFakeShop, serve_fake_shop
from tests.fakeshopify.state import FakeShop

__all__ = ["FakeApp", "FakeShop", "RunningFakeShop", "create_fake_app", "example_order", "serve_fake_shop"]

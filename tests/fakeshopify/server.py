"""Runs the fake Admin API as a real HTTP server on loopback, for tests that go over the wire."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.fakeshopify.app import create_fake_app
from tests.fakeshopify.oauth import FakeApp
from tests.fakeshopify.state import FakeShop


@dataclass(frozen=True)
class RunningFakeShop:
    base_url: str  # pass as ShopifyClient(base_url=...)
    state: FakeShop
    shop_domain: str = "fake-shop.myshopify.com"
    api_version: str = "2026-04"

    shops: dict[str, FakeShop] | None = None
    oauth: FakeApp | None = None

    @property
    def access_token(self) -> str:
        return self.state.access_token

    @property
    def shops_url(self) -> str:
        """SHOPIFY_ADMIN_URL for several shops: each shop's Admin API and token endpoint under its own path."""
        return f"{self.base_url}/shops/{{shop}}"


class _QuietHandler(WSGIRequestHandler):
    """Keeps the test output free of one access-log line per request."""

    def log(self, *args: Any) -> None:
        return None


@contextmanager
def serve_fake_shop(
    state: FakeShop | None = None, shops: dict[str, FakeShop] | None = None, oauth: FakeApp | None = None
) -> Iterator[RunningFakeShop]:
    """Serves the fake on 127.0.0.1 on a free port in a thread; stops it and frees the port on exit."""
    shop = state or FakeShop()
    app = create_fake_app(shop, shops, oauth)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakeshopify", daemon=True
    )
    thread.start()
    try:
        yield RunningFakeShop(
            base_url=f"http://127.0.0.1:{server.server_port}", state=shop, shops=app.config["FAKE_SHOPS"], oauth=oauth
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

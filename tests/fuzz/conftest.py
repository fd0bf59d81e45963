"""Hostile input against the real receiver: a Flask test client in front of a redis-server of the suite's own
(nothing persisted, nothing shared with other test runs), so every job in it was queued by this suite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from config.settings import Settings
from queueing.serializer import JobSerializer
from tests.support import SHOP, TEST_SECRET, headers_for
from webhooks import create_app
from worker.loopback import RedisServer

MAX_BODY = 64 * 1024


@pytest.fixture(scope="session")
def fuzz_redis() -> Iterator[Redis]:
    """A redis-server of the suite's own: thousands of requests queue nothing on the shared one."""
    with RedisServer() as server:
        client = Redis(port=server.port)
        yield client
        client.close()


@dataclass
class Receiver:
    """Posts to the receiver and keeps count, so the suite can show how many requests it threw."""

    client: object
    queue: Queue
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def post(self, body: bytes, headers: dict[str, str]):  # noqa: ANN201 - a werkzeug TestResponse
        response = self.client.post("/webhooks", data=body, headers=headers)
        self.sent += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response

    def signed(self, body: bytes, topic: str = "orders/create", shop: str = SHOP, event_id: str | None = ""):  # noqa: ANN201
        """Correctly signed; a new event id each time unless one is given (None: no event id header at all)."""
        return self.post(
            body, headers_for(body, topic, TEST_SECRET, shop, self.fresh_id() if event_id == "" else event_id)
        )

    def fresh_id(self) -> str:
        return f"fuzz-{self.sent}"

    def depth(self) -> int:
        return self.queue.count


@pytest.fixture
def receiver(fuzz_redis: Redis, tmp_path: Path) -> Iterator[Receiver]:
    fuzz_redis.flushdb()
    settings = Settings(
        api_secrets=(TEST_SECRET,),
        redis_url="redis://unused",
        database_url=f"sqlite:///{tmp_path / 'unused.db'}",
        max_body_bytes=MAX_BODY,
    )
    app = create_app(settings, fuzz_redis)
    yield Receiver(app.test_client(), Queue("shopworker", connection=fuzz_redis, serializer=JobSerializer))

"""Real processes: a private redis-server, gunicorn serving the receiver, `shopworker worker`, on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config.settings import load_settings
from tests.conftest import POSTGRES_URL, SECRET
from worker import bootstrap
from worker.adapters.records import Records
from worker.loopback import RedisServer, answers, free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    env: dict[str, str]
    redis: RedisServer
    port: int = field(default_factory=free_port)
    children: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks"

    def shopworker(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "worker", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def start_web(self, app: str = "webhooks:create_app()") -> None:
        """gunicorn serving `app`: the receiver alone, or `worker.web:create_app()` as the Procfile deploys it."""
        self.children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    app,
                ],
                env=self.env,
                cwd=ROOT,
                stderr=subprocess.DEVNULL,
            )
        )
        if not answers(f"http://127.0.0.1:{self.port}/healthz"):
            pytest.fail("gunicorn did not come up")

    def start_worker(self) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-m", "worker", "worker"],
            env=self.env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.children.append(child)
        return child

    def records(self) -> Records:
        return self.services().records

    def services(self) -> bootstrap.Services:
        """The service's stores, built by the worker's composition root from the service's own settings."""
        return bootstrap.build(load_settings(self.env))

    def wait_for(self, condition, seconds: float = 60) -> None:  # noqa: ANN001
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        pytest.fail(f"gave up waiting after {seconds} s")

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


@pytest.fixture
def service(tmp_path: Path, pg_schema: str) -> Iterator[Service]:
    redis = RedisServer(tmp_path, durable=True)
    redis.start()
    env = {
        **os.environ,
        "SHOPIFY_API_SECRET": SECRET,
        "REDIS_URL": redis.url,
        "DATABASE_URL": POSTGRES_URL,
        "DATABASE_SCHEMA": pg_schema,
        "LOG_LEVEL": "WARNING",
    }
    service = Service(env, redis)
    service.shopworker("db", "upgrade")
    yield service
    service.stop()
    redis.stop()

"""Processes of our own on loopback: a free port, a redis-server (`shopworker serve`'s private Redis for a
newcomer, and the one tests and benchmarks stop and start on purpose), and waiting for a server to answer."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import requests
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str, seconds: float = 20) -> bool:
    """Whether `url` answers 2xx within `seconds` (a server just started may refuse connections at first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return True
        except requests.RequestException:
            time.sleep(0.05)
    return False


class RedisServer:
    """Durable (an append-only file in `workdir`, fsync'd on every write) so that it can be stopped and started
    again without losing what it took; otherwise it keeps nothing on disk."""

    def __init__(self, workdir: Path | None = None, durable: bool = False) -> None:
        self.workdir, self.durable = workdir, durable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("no redis-server is on PATH")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.workdir is not None:
            command += ["--dir", str(self.workdir)]
        command += ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = Redis(port=self.port)
        try:
            for _ in range(500):
                try:
                    client.ping()
                    return
                except RedisConnectionError:
                    time.sleep(0.02)
        finally:
            client.close()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

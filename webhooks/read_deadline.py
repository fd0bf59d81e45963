"""gunicorn's threaded worker with a read deadline per request.

gunicorn's gthread worker gives a thread to a connection as soon as its first bytes arrive, and then reads the
headers and the body with blocking reads that have no end: a client sending one byte a second holds that thread as
long as it likes, and 8 such clients hold every thread of two processes of four. Here each request must have sent
its headers and its body within READ_DEADLINE_SECONDS of its first byte; past that its reads fail and the connection
is closed at once (the receiver answers 408 when the body was being read), so a trickling client holds a thread a
few seconds at most. Responses are written without this limit.

    gunicorn --worker-class webhooks.read_deadline.ReadDeadlineWorker ...
"""

from __future__ import annotations

import errno
import logging
import time
from typing import Any

from gunicorn.workers.gthread import _DEFER, DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

READ_DEADLINE_SECONDS = 3.0

log = logging.getLogger(__name__)


class DeadlineSocket:
    """A connection's socket whose reads end at `deadline` (time.monotonic()); all else is the socket's own."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.deadline: float | None = None
        self.expired = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _remaining(self) -> float | None:
        if self.deadline is None:
            return None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.expired = True
            log.info("connection closed: its request was not read within %.0f s", READ_DEADLINE_SECONDS)
            # ECONNRESET: gunicorn then drops the connection quietly, as for a client that went away.
            raise OSError(errno.ECONNRESET, f"the request was not sent within {READ_DEADLINE_SECONDS:.0f} s")
        return remaining

    def recv(self, size: int, *flags: int) -> bytes:
        return self._read(self._sock.recv, size, *flags)  # type: ignore[no-any-return]

    def recv_into(self, buffer: Any, *args: int) -> int:
        return self._read(self._sock.recv_into, buffer, *args)  # type: ignore[no-any-return]

    def _read(self, read: Any, *args: Any) -> Any:
        remaining = self._remaining()
        if remaining is not None:
            self._sock.settimeout(remaining)
        try:
            return read(*args)
        except TimeoutError:
            self._remaining()
            raise
        finally:
            if remaining is not None:
                self._sock.settimeout(None)


class ReadDeadlineWorker(ThreadWorker):  # type: ignore[misc]
    """Not for gunicorn's own TLS (`--certfile`): the deadline wraps the plain socket. TLS ends at the platform's
    router on Heroku."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_pool = 0  # connections handed to the threads and not finished yet (kept by the main loop only)

    # gunicorn accepts every connection it can and queues it for its threads: behind four trickling clients a
    # webhook would wait its turn in this process while another has free threads. Accepting only while a thread is
    # free leaves the connection in the listen queue, where a free process takes it.

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self._in_pool < self.cfg.threads)

    def enqueue_req(self, conn: Any) -> None:
        self._in_pool += 1
        super().enqueue_req(conn)
        self.set_accept_enabled(self._accepting)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self._in_pool -= 1
        super().finish_request(conn, fs)
        self.set_accept_enabled(True)

    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock)
        conn.sock.deadline = None
        # As gunicorn does: a new connection gets a thread only once its first bytes are there, else it waits
        # in the poller. The clock starts then.
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(DEFAULT_WORKER_DATA_TIMEOUT):
            return _DEFER
        conn.sock.deadline = time.monotonic() + READ_DEADLINE_SECONDS
        try:
            keepalive = super().handle(conn)
        finally:
            conn.sock.deadline = None
        if conn.sock.expired:
            # Closed here, at once: gunicorn's graceful close lingers up to 2 s reading what the client still
            # sends, and it runs on the loop that accepts connections, so trickling clients would stall it in turn.
            conn.sock.close()
            return False
        return keepalive

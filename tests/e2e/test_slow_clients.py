"""Clients that trickle their requests, against gunicorn run as the Procfile runs it (2 processes of 4 threads):
each is cut off a few seconds after its first byte, and a valid webhook sent meanwhile still gets its answer."""

from __future__ import annotations

import shlex
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.conftest import SECRET
from tests.e2e.conftest import ROOT
from tests.support import body_of, headers_for
from webhooks.read_deadline import READ_DEADLINE_SECONDS
from worker.loopback import answers, free_port

pytestmark = pytest.mark.e2e

THREADS = 8  # the Procfile's 2 processes of 4 threads
TRICKLE_SECONDS = 30  # how long each slow client would keep sending if let


def procfile_web(port: int) -> list[str]:
    """The Procfile's web command, on loopback."""
    line = (ROOT / "Procfile").read_text().splitlines()[0].removeprefix("web: gunicorn ")
    line = line.replace("0.0.0.0:$PORT", f"127.0.0.1:{port}").replace("${WEB_CONCURRENCY:-2}", "2")
    return [sys.executable, "-m", "gunicorn", *shlex.split(line)]


@pytest.fixture
def web(service):
    port = free_port()
    service.children.append(subprocess.Popen(procfile_web(port), env=service.env, cwd=ROOT, stderr=subprocess.DEVNULL))
    if not answers(f"http://127.0.0.1:{port}/healthz"):
        pytest.fail("gunicorn did not come up")
    return port


def trickle(port: int, held: list[float], body_phase: bool) -> None:
    """Send a request one byte every half second, in its headers or in its body; note how long the server held
    the connection open before closing it."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        body = body_of({"id": 1, "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})
        head = (
            f"POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) + 1000}\r\n"
        )
        slow = head.encode() + b"\r\n" + body if body_phase else head.encode()
        if body_phase:
            sock.sendall(slow[: len(head) + 2])
            slow = slow[len(head) + 2 :]
        try:
            for byte in slow * TRICKLE_SECONDS:
                sock.sendall(bytes([byte]))
                time.sleep(0.5)
                if time.monotonic() - started > TRICKLE_SECONDS:
                    break
            sock.settimeout(TRICKLE_SECONDS)
            sock.recv(1)
        except OSError:
            pass
    held.append(time.monotonic() - started)


@pytest.mark.parametrize("tricklers", [8, 16])
def test_trickling_clients_are_cut_off_and_a_valid_webhook_gets_through(web, tricklers):
    """Each trickling client is cut off READ_DEADLINE_SECONDS after a thread takes it; the webhook waits for at
    most one round of them per THREADS clients ahead of it (8 clients: within Shopify's 5 s)."""
    held: list[float] = []
    slow = [threading.Thread(target=trickle, args=(web, held, n % 2 == 1), daemon=True) for n in range(tricklers)]
    for thread in slow:
        thread.start()
    time.sleep(1)  # every thread of both processes is now taken by a trickling client

    body = body_of({"id": 5001, "line_items": [], "updated_at": "2026-03-01T12:00:00Z"})
    started = time.monotonic()
    response = requests.post(
        f"http://127.0.0.1:{web}/webhooks",
        data=body,
        headers=headers_for(body, "orders/create", SECRET, event_id="through"),
        timeout=TRICKLE_SECONDS / 2,
    )
    waited = time.monotonic() - started
    for thread in slow:
        thread.join(TRICKLE_SECONDS + 5)

    rounds = -(-tricklers // THREADS)
    print(
        f"{tricklers} trickling clients: a valid webhook answered after {waited:.1f} s; they were cut off after "
        f"{min(held):.1f}-{max(held):.1f} s"
    )
    assert response.json() == {"status": "queued"}
    assert waited < rounds * READ_DEADLINE_SECONDS + 1
    assert len(held) == tricklers and max(held) < rounds * READ_DEADLINE_SECONDS + 2.5

"""Webhook intake: POST /webhooks under gunicorn against a bare Flask endpoint on the same server config.

Run: .venv/bin/python -m bench.ingest [--seconds 5] [--rounds 3] [--rate 1000]
Uses Shopify's 15 KB orders/create sample, a distinct event id per request (every request is verified, parsed,
deduplicated and enqueued), and the local Redis (database 15, emptied before and after). Both servers run side by
side and take turns, round after round. Prints, for each server, the median round's closed-loop throughput with
p50/p99, then p50/p99 at a fixed offered rate (latency measured from each request's scheduled send time), and the
ratios ours / bare. The load comes from a light keep-alive client on plain sockets (about 80 us of CPU per request,
where http.client spends about 340): client, servers and Redis share the machine's cores, so a heavy client would
take CPU from the servers under test, the bare one most.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from redis import Redis

from worker.loopback import free_port

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "shopify_samples" / "orders__create.json"
SECRET = "bench-secret"
REDIS_URL = "redis://127.0.0.1:6379/15"
SERVER = os.environ.get("BENCH_GUNICORN", "--workers 2 --worker-class gthread --threads 4").split() + [
    "--log-level",
    "warning",
]
CLIENT_PROCESSES = 2
CLIENT_THREADS = 8


def start_server(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", *SERVER, app], cwd=ROOT, env=env
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{app} did not start")


def request_head(body: bytes) -> bytes:
    """A signed delivery's request line and headers, all but the event id, which each request appends."""
    from webhooks.verify import sign

    return (
        "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Shopify-Topic: orders/create\r\n"
        f"X-Shopify-Shop-Domain: bench.myshopify.com\r\nX-Shopify-Hmac-Sha256: {sign(body, SECRET)}\r\n"
        "X-Shopify-Event-Id: "
    ).encode()


class Connection:
    """HTTP/1.1 keep-alive over a plain socket: the client CPU it saves against http.client stays with the servers
    under test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def post(self, request: bytes) -> int:
        """Send one request and read its whole response; the status code."""
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port))
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(request)
        response = b""
        while b"\r\n\r\n" not in response:
            response += self._receive()
        head, _, rest = response.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").lower().split("\r\n")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        while len(rest) < int(fields.get("content-length", 0)):
            rest += self._receive()
        if fields.get("connection") == "close":
            self.sock.close()
            self.sock = None
        return int(lines[0].split()[1])

    def _receive(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk


def client(
    port: int, body: bytes, tag: str, seconds: float, interval: float | None, out: multiprocessing.Queue
) -> None:
    """One client process: threads on keep-alive connections; closed loop, or one request every `interval` s."""
    head = request_head(body)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def run(thread: int) -> None:
        connection = Connection(port)
        mine, n = [], 0
        while True:
            scheduled = start + (n * CLIENT_THREADS + thread) * interval if interval else time.perf_counter()
            if scheduled - start > seconds:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = connection.post(b"%s%s-%d-%d\r\n\r\n%s" % (head, tag.encode(), thread, n, body))
            mine.append(time.perf_counter() - scheduled)
            if status != 200:
                with lock:
                    errors[0] += 1
            n += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors[0]))


def load(port: int, body: bytes, seconds: float, rate: float | None) -> dict[str, Any]:
    out: multiprocessing.Queue = multiprocessing.Queue()
    interval = CLIENT_PROCESSES * 1.0 / rate if rate else None
    processes = [
        multiprocessing.Process(
            target=client, args=(port, body, f"{os.getpid()}-{p}-{time.time()}", seconds, interval, out)
        )
        for p in range(CLIENT_PROCESSES)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in processes:
        got, failed = out.get()
        latencies.extend(got)
        errors += failed
    for process in processes:
        process.join()
    return {"rps": len(latencies) / seconds, "latencies": latencies, "errors": errors}


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The median round's throughput, and the latency quantiles of all rounds' requests together."""
    latencies = sorted(latency for run in runs for latency in run["latencies"])
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50": quantiles[49] * 1000,
        "p99": quantiles[98] * 1000,
        "errors": sum(run["errors"] for run in runs),
    }


def describe(name: str, closed: dict[str, float], fixed: dict[str, float], rate: float) -> str:
    return (
        f"{name:<11} closed loop: {closed['rps']:6.0f} req/s p50 {closed['p50']:5.2f} ms p99 {closed['p99']:6.2f} ms"
        f" | at {rate:.0f} req/s: p50 {fixed['p50']:6.2f} ms p99 {fixed['p99']:7.2f} ms"
        f" ({fixed['rps']:.0f} req/s done, {closed['errors'] + fixed['errors']:.0f} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000)
    args = parser.parse_args()
    body = SAMPLE.read_bytes()
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    env = {
        **os.environ,
        "SHOPIFY_API_SECRET": SECRET,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": "sqlite:///var/bench-ingest.db",
    }
    apps = {"bare Flask": "bench.bare_app:create_app()", "shopworker": "webhooks:create_app()"}
    ports = {name: free_port() for name in apps}
    servers = [start_server(app, ports[name], env) for name, app in apps.items()]
    runs: dict[tuple[str, float | None], list[dict[str, Any]]] = {}
    try:
        for port in ports.values():
            load(port, body, 1, None)  # warm up
        # Rounds alternate between the two servers, so a slow spell of the machine weighs on both alike.
        for rate in (None, args.rate):
            for _ in range(args.rounds):
                for name, port in ports.items():
                    runs.setdefault((name, rate), []).append(load(port, body, args.seconds, rate))
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    results = {name: (summary(runs[name, None]), summary(runs[name, args.rate])) for name in apps}
    for name, (closed, fixed) in results.items():
        print(describe(name, closed, fixed, args.rate))
    queued = len(redis.keys("shopworker:seen:*"))
    redis.flushdb()
    ours, bare = results["shopworker"], results["bare Flask"]
    print(
        f"ratio shopworker / bare Flask: throughput {ours[0]['rps'] / bare[0]['rps']:.2f}, "
        f"p99 at {args.rate:.0f} req/s {ours[1]['p99'] / bare[1]['p99']:.2f}x"
    )
    print(f"deliveries queued and marked seen during the run: {queued}")


if __name__ == "__main__":
    main()

"""`shopworker serve` as a newcomer runs it: real processes, stopped from outside the way a terminal or a process
manager stops them; and gunicorn with the web process's own hooks, as the Procfile runs it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import SECRET
from tests.e2e.conftest import ROOT
from tests.support import FIXTURES, SHOP, headers_for
from worker.cli.service import web_command
from worker.loopback import answers, free_port

pytestmark = pytest.mark.e2e

VENV_ONLY = str(Path(sys.executable).parent)  # python and the project's scripts, and no redis-server


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_serve(tmp_path: Path, port: int, *options: str, **extra: str) -> subprocess.Popen[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "OPERATOR_PASSWORD", "SHOPIFY_API_SECRET"}
    }
    env |= {"PATH": VENV_ONLY, "DATABASE_URL": f"sqlite:///{tmp_path / 'records.db'}", **extra}
    # A session of its own, like a terminal's foreground job: a signal to its group reaches it as Ctrl-C would.
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "serve", "--port", str(port), *options],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def read_until(process: subprocess.Popen[str], marker: str, seconds: float = 60) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    process.kill()
    pytest.fail(f"no {marker!r} in {lines}: {process.stderr.read()}")


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_serve_runs_without_redis_server_on_path_and_stops_everything_quietly(tmp_path, how):
    port = free_port()
    serve = start_serve(tmp_path, port)
    lines = read_until(serve, "Ctrl-C to stop")
    assert any(line.startswith("started a private valkey-server on 127.0.0.1:") for line in lines)
    (pages,) = [line for line in lines if line.startswith("operator pages: ")]
    url, password = pages.removeprefix("operator pages: ").split("  password: ")
    assert url == f"http://127.0.0.1:{port}/operator/" and len(password) >= 16
    browser = requests.Session()
    form = browser.get(f"{url}login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    login = browser.post(f"{url}login", data={"password": password, "csrf_token": token}, timeout=10)
    assert login.status_code == 200 and login.url == url  # the dashboard, not the login form again
    body = next((FIXTURES / "orders" / "create").glob("*.json")).read_bytes()
    sent = requests.post(
        f"http://127.0.0.1:{port}/webhooks",
        data=body,
        headers=headers_for(body, "orders/create", "shopworker-local-secret", event_id="serve-1"),
        timeout=10,
    )
    assert sent.json() == {"status": "queued"}
    children = descendants(serve.pid)
    assert len(children) >= 4  # the private Redis, gunicorn and its workers, the worker

    if how == "ctrl-c":
        os.killpg(serve.pid, signal.SIGINT)
    else:
        serve.send_signal(signal.SIGTERM)
    out, err = serve.communicate(timeout=60)

    assert (serve.returncode, out.strip().splitlines()[-1:], err) == (0, ["stopped"], "")
    assert [pid for pid in children if alive(pid)] == []


def test_a_busy_port_is_one_line_that_names_the_option(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        serve = start_serve(tmp_path, port, SHOPIFY_API_SECRET=SECRET)
        out, err = serve.communicate(timeout=30)
    assert serve.returncode == 2
    assert err == f"error: port {port} is already in use on 127.0.0.1: choose another with --port\n"
    assert descendants(serve.pid) == set()


def gunicorn(env: dict[str, str], port: int, capture: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        web_command(port),
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


def test_the_web_process_refuses_a_password_without_a_signing_key_in_one_line(service):
    env = {key: value for key, value in service.env.items() if key != "OPERATOR_SECRET_KEY"}
    web = gunicorn({**env, "OPERATOR_PASSWORD": "a-password-for-the-pages"}, free_port(), capture=True)
    _out, err = web.communicate(timeout=30)
    assert web.returncode == 2
    assert err == (
        "error: OPERATOR_PASSWORD is set but OPERATOR_SECRET_KEY is not: set it to a long random value shared by "
        "every web process\n"
    )


def test_every_scrape_counts_every_webhook_whichever_gunicorn_worker_answers(service):
    port = free_port()
    env = {key: value for key, value in service.env.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    # With the operator pages mounted, as `serve` runs it: their imports must not choose the metrics' storage.
    env |= {"OPERATOR_PASSWORD": "a-password-for-the-pages", "OPERATOR_SECRET_KEY": "a-signing-key"}
    web = gunicorn(env, port)
    service.children.append(web)
    assert answers(f"http://127.0.0.1:{port}/healthz")
    for number in range(5):
        order = {"id": number + 1, "name": f"#{1000 + number}", "line_items": [], "updated_at": "2026-03-01T12:00:00Z"}
        body = json.dumps(order).encode()
        headers = headers_for(body, "orders/create", SECRET, shop=SHOP, event_id=f"scrape-{number}")
        assert requests.post(f"http://127.0.0.1:{port}/webhooks", data=body, headers=headers, timeout=10).ok
    counted = set()
    for _ in range(8):
        scrape = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert scrape.headers["Content-Type"] == "text/plain; version=1.0.0; charset=utf-8"
        (line,) = [line for line in scrape.text.splitlines() if line.startswith("shopworker_webhooks_total{")]
        counted.add(line.rsplit(" ", 1)[1])
    assert counted == {"5.0"}

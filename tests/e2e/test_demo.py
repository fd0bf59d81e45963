"""`bash scripts/demo` as a newcomer runs it on a fresh machine: no redis-server on the PATH, no database, nothing
configured. The demo store's webhooks meet the fake Admin API on loopback, and the newcomer sees the product's work
in the terminal and on the operator pages."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.e2e.test_serve import read_until, start_serve
from tests.support import SHOP
from worker.loopback import free_port

pytestmark = pytest.mark.e2e

SPLIT_APPLIED = [
    "split · order #5001 (stock in two warehouses, to France):",
    "  ships from China distributor: Moon plush x1 (about 9 days)",
    "  ships from US distributor: Star night light x1, Glow blanket x1 (about 13 days)",
    "  waits for stock: Star night light x1 (only 1 in stock)",
    "  in Shopify: sent · applied",
    "    moved 1 unit(s) to China distributor",
    "    held 1 unit(s) until stock arrives",
]
RETURN_JUDGED = [
    "return #5005-R1 · order #5005 (asked 2 days after delivery; the store takes returns for 7 days):",
    "  asked: the policy's decision is review; in Shopify the return is open",
    "    Star night light: review · needs_inspection · refund 30.60 EUR",
    "      The item's condition was not stated; a person should inspect it before deciding.",
    "    Moon plush: declined · final_sale · no refund",
    "      The item is tagged as a sale or final-sale item, which the store does not take back.",
    "  inspected: partial_refund",
    "    Star night light: approved · refund 30.60 EUR",
    "      Eligible: asked within the 7-day window and meeting the store's terms.",
    "    Moon plush: declined · final_sale · no refund",
    "      The item is tagged as a sale or final-sale item, which the store does not take back.",
    "  refund of 30.60 EUR confirmed by Sam (warehouse): parcel checked: unused, tags on",
    "  stage: refunded",
]
LATE = [
    "  order #5003: flag · 25 business days in transit · possibly held at customs",
    "  order #5004: flag · 35 business days in transit · possibly held at customs",
    "  order #5004: case · 35 business days in transit · in transit over 30 business days: look into it with the "
    "carrier for the customer: reship or refund",
]
LEDGER = "  return #5005-R1 · order #5005: proposed 30.60 EUR, refunded 30.60 EUR (refunded)"


def nothing_configured(tmp_path: Path) -> dict[str, str]:
    """No database configured: the demo makes its own under the user's data folder."""
    return {"DATABASE_URL": "", "XDG_DATA_HOME": str(tmp_path / "data")}


def block(lines: list[str], first: str, count: int) -> list[str]:
    start = lines.index(first)
    return lines[start : start + count]


def test_the_demo_once_shows_a_split_applied_a_return_judged_late_shipments_and_a_refund(tmp_path):
    demo = start_serve(tmp_path, free_port(), "--demo", "--once", **nothing_configured(tmp_path))
    out, err = demo.communicate(timeout=180)
    lines = out.splitlines()

    assert (demo.returncode, err) == (0, "")
    assert any(line.startswith("started a private valkey-server on 127.0.0.1:") for line in lines)
    assert block(lines, SPLIT_APPLIED[0], len(SPLIT_APPLIED)) == SPLIT_APPLIED
    (note,) = [line for line in lines if line.startswith("    order note (sent): ")]
    assert note.endswith("Waiting for stock: Star night light x1 (only 1 in stock).")
    assert block(lines, RETURN_JUDGED[0], len(RETURN_JUDGED)) == RETURN_JUDGED
    assert block(lines, LATE[0], len(LATE)) == LATE
    assert LEDGER in lines
    (inspect, refund_sent) = [line for line in lines if line.startswith("  $ shopworker returns ")]
    assert inspect.endswith("--tags attached --by 'Sam (warehouse)'")
    assert lines[lines.index(inspect) + 1].endswith("stage proposed, outcome partial_refund")
    answer = lines[lines.index(refund_sent) + 1]
    assert answer.endswith("refund of 30.60 EUR sent to Shopify, decided by Sam (warehouse)")
    (refund,) = [line for line in lines if line.startswith("  refund ") and "· order #5005: " in line]
    assert refund.endswith(": 30.60 EUR for Star night light x1")
    assert "skipped" not in out and "needs_details" not in out

    shown = lines[lines.index("the records, for shopworker's commands beside the demo:") + 1]
    assignment, *command = shlex.split(shown)
    database = assignment.removeprefix("DATABASE_URL=")
    typed = subprocess.run(command, env={"DATABASE_URL": database}, capture_output=True, text=True, timeout=60)
    (row,) = typed.stdout.splitlines()[1:]
    assert row.split()[1:] == [SHOP, "refunded", "EUR", "30.60", "30.60", "1", "-"]
    assert (tmp_path / "data" / "shopworker" / "demo.db").exists()


def test_the_demo_shows_the_same_on_the_operator_pages_until_ctrl_c(tmp_path):
    port = free_port()
    demo = start_serve(tmp_path, port, "--demo", **nothing_configured(tmp_path))
    lines = read_until(demo, "Ctrl-C to stop", seconds=180)
    (pages,) = [line for line in lines if line.startswith("operator pages: ")]
    url, password = pages.removeprefix("operator pages: ").split("  password: ")
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(f"{url}login", timeout=10).text).group(1)
    assert browser.post(f"{url}login", data={"password": password, "csrf_token": token}, timeout=10).url == url

    returns = browser.get(f"{url}returns", timeout=10).text
    split = browser.get(f"{url}split", timeout=10).text
    late = browser.get(f"{url}late", timeout=10).text

    assert "The item is tagged as a sale or final-sale item, which the store does not take back." in returns
    assert "30.60 EUR" in returns
    assert "applied" in split and "China distributor" in split
    assert "#5003" in late and "#5004" in late and "reship or refund" in late

    order_pages = dict(re.findall(r"^  order #(\d+)'s page: (\S+)$", "\n".join(lines), re.MULTILINE))
    assert sorted(order_pages) == ["5001", "5003", "5004", "5005"]
    split_order, returned, flagged, escalated = (
        browser.get(order_pages[number], timeout=10).text for number in ("5001", "5005", "5003", "5004")
    )
    assert re.search(r"·\s*paid\s*·\s*unfulfilled", split_order)  # orders/paid came after orders/create
    assert "China distributor: 1 × Moon plush" in split_order and "waits for stock: 1 × Star night light" in split_order
    assert re.search(r"apply_split_plan</td>.*?>sent</span>", split_order, re.DOTALL)
    assert re.search(r"set_order_note</td>.*?>sent</span>", split_order, re.DOTALL)
    assert "refunded</span>" in returned and "30.60 EUR</td>" in returned
    assert ">flag " in flagged and ">case " not in flagged
    assert ">flag " in escalated and ">case " in escalated

    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=60)
    assert (demo.returncode, out.strip().splitlines()[-1:], err) == (0, ["stopped"], "")

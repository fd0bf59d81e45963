"""`shopworker serve --demo`: a store's first days, run for real on this machine.

The worker talks to the fake Admin API of the repository's tests (tests/fakeshopify), served on loopback and
seeded with the demo store (tests/fakeshopify/demo_store.py: its orders, stock and a return request); the webhooks
Shopify would send are signed and posted to the receiver, dated relative to now, so that the store's own clocks (its
return window, business days in transit) judge them as they would today. What the worker did is then read back
from the records, as the operator pages show it: a split applied in Shopify, a return judged line by line and
followed to its refund, a late shipment flagged and another escalated, the refund in the ledger.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from worker.cli import InputError
from worker.cli.service import DEMO_SHOP

if TYPE_CHECKING:
    from tests.fakeshopify import FakeShop, RunningFakeShop
    from tests.fakeshopify.demo_store import Delivery
    from worker.adapters.returns_store import ReturnRecord
    from worker.bootstrap import Services

ROOT = Path(__file__).resolve().parents[2]
SHOP = DEMO_SHOP
DONE = frozenset({"processed", "stale", "failed"})


@contextmanager
def fake_admin_api() -> Iterator[RunningFakeShop]:
    """The fake Admin API of the repository's tests, on loopback: it lives beside the tests, not in the installed
    package, so the demo runs from a clone."""
    if not (ROOT / "tests" / "fakeshopify").is_dir():
        raise InputError("--demo runs from a clone of the repository (bash scripts/demo): it needs tests/fakeshopify")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from tests.fakeshopify import FakeShop, serve_fake_shop
    except ImportError as missing:  # it checks its answers against Shopify's schema with graphql-core
        raise InputError(f"--demo needs the development extras (pip install -e '.[dev]'): {missing}") from None

    with serve_fake_shop(shops={SHOP: FakeShop()}) as running:
        yield running


Deliver = Callable[[str, str, str, bytes], str]  # (topic, shop, event id, body) -> the receiver's status
Post = Callable[[bytes, dict[str, str]], Any]  # (body, headers): a signed webhook to the receiver
PERSON = "Sam (warehouse)"


@dataclass(frozen=True)
class Service:
    """The service the demo runs in, as the demo reaches it."""

    deliver: Deliver  # a webhook, as `replay` sends one
    post: Post  # a body signed as Shopify signs it: how the fake shop sends its own webhooks
    secret: str
    env: dict[str, str]  # its environment, for the commands a person types beside it
    pages: str  # the operator pages' address


def run(service: Service, services: Services, fake: RunningFakeShop, now: datetime) -> None:
    """Seed the fake shop, send the webhooks, wait for the worker, follow the return to its refund, and tell
    what the worker did."""
    from tests.fakeshopify.demo_store import scenario, seed
    from tests.fakeshopify.state import WebhookSink

    assert fake.shops is not None
    state = fake.shops[SHOP]
    state.webhooks = WebhookSink(service.post, service.secret, SHOP)
    story = scenario(now)
    request = seed(story, state)
    story.add("returns/request", "return #5005-R1 requested an hour ago", request)
    for delivery in story.deliveries:
        _send(service.deliver, delivery)
    _wait(services, lambda: _handled(services) >= len(story.deliveries))
    _follow_the_return(service, services, state, request["id"], [line[0] for line in story.return_lines])
    tell(services, request["id"], service.pages)
    _point_at_the_records(service.env)


def _follow_the_return(service: Service, services: Services, state: FakeShop, return_id: int, lines: list[int]) -> None:
    """What follows the request, each step once the worker has handled the one before: the merchant approves it
    in Shopify, the parcel comes back and its items are restocked, a person records what a disposition cannot say
    (the tags are on) and confirms the refund the worker proposes, with shopworker's own commands, and Shopify
    makes it."""

    def record() -> ReturnRecord | None:
        return services.returns.get(SHOP, return_id)

    return_gid = f"gid://shopify/Return/{return_id}"
    click.echo(f"  {'returns/approve':<20} the merchant approved return #5005-R1 in Shopify")
    state.approve(return_gid)
    _wait(services, lambda: getattr(record(), "shopify_status", None) == "open")
    click.echo(f"  {'reverse_fulfillment_orders/dispose':<20} the parcel came back; both items restocked")
    for line_item_id in lines:
        state.dispose(return_gid, line_item_id, "restocked")
    _wait(services, lambda: _all_disposed(record()))
    click.echo("\na person inspects the night light and confirms the refund the worker proposes:")
    _type(service, "returns", "inspect", str(return_id), "--line", str(lines[0]), "--tags", "attached", "--by", PERSON)
    _type(service, "returns", "refund", str(return_id), "--by", PERSON, "--why", "parcel checked: unused, tags on")
    _wait(services, lambda: getattr(record(), "stage", None) == "refunded")
    click.echo(f"  {'refunds/create':<20} Shopify made the refund (returnProcess) and said so")


def _all_disposed(record: ReturnRecord | None) -> bool:
    """Every returned line has its disposition in the record: the worker has read the whole parcel."""
    if record is None or record.request is None:
        return False
    known = (record.inspection or {}).get("lines", {})
    return all(known.get(str(line["line_item_id"]), {}).get("dispositions") for line in record.request["lines"])


def _type(service: Service, *args: str) -> None:
    """Run a shopworker command as a person would type it beside the service, and show it with its answer."""
    click.echo(f"  $ {shlex.join(('shopworker', *args))}")
    done = subprocess.run(
        [sys.executable, "-m", "worker", *args], env=service.env, capture_output=True, text=True, timeout=120
    )
    for line in (done.stdout + done.stderr).splitlines():
        click.echo(f"    {line}")
    if done.returncode:
        raise click.ClickException(f"shopworker {args[0]} {args[1]} failed (exit status {done.returncode})")


def _send(deliver: Deliver, delivery: Delivery) -> None:
    status = deliver(delivery.topic, SHOP, str(uuid.uuid4()), json.dumps(delivery.body).encode())
    click.echo(f"  {delivery.topic:<20} {delivery.name:<44} {status}")
    if status != "queued":
        raise click.ClickException(f"the receiver did not take {delivery.topic}: {status}")


def _handled(services: Services) -> int:
    return sum(event.status in DONE for event in services.records.list_events(shop=SHOP, limit=1000))


def _wait(services: Services, done: Callable[[], bool], seconds: float = 60) -> None:
    """Until `done`, and every action toward Shopify is performed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done() and not services.outbox.pending(shop=SHOP):
            return
        time.sleep(0.2)
    raise click.ClickException(f"the worker did not handle the demo's webhooks within {seconds:.0f} s")


def _point_at_the_records(env: dict[str, str]) -> None:
    """How to read the same records with shopworker's commands while the demo runs (a SQLite file only: another
    database's address may hold a password)."""
    url = env["DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        return
    script = Path(sys.executable).with_name("shopworker")
    command = shlex.quote(str(script)) if script.exists() else "shopworker"
    click.echo("\nthe records, for shopworker's commands beside the demo:")
    click.echo(f"  DATABASE_URL={url} {command} returns ledger")


def tell(services: Services, return_id: int, pages: str) -> None:
    """What the worker did, in the words the operator pages use, with the page of each order it is about."""
    titles = _titles(services)
    _tell_split(services, titles)
    _tell_pages(pages, 5001)
    _tell_return(services, titles, return_id)
    _tell_pages(pages, 5005)
    _tell_late(services)
    _tell_pages(pages, 5003, 5004)
    _tell_refunds(services, titles, return_id)


def _tell_pages(pages: str, *numbers: int) -> None:
    for number in numbers:
        click.echo(f"  order #{number}'s page: {pages}orders/{SHOP}/{number}")


def _titles(services: Services) -> dict[int, str]:
    titles = {}
    for number in (5001, 5003, 5004, 5005):
        order = services.records.get_order(SHOP, number) or {}
        titles.update((item["id"], item["title"]) for item in order.get("line_items", []))
    return titles


def _tell_split(services: Services, titles: dict[int, str]) -> None:
    plan = (services.split.plans(SHOP, 5001) or [None])[-1]
    click.echo("\nsplit · order #5001 (stock in two warehouses, to France):")
    if plan is None or plan.plan is None:
        click.echo(f"  {plan.status if plan else 'not planned'}{f' · {plan.reason}' if plan and plan.reason else ''}")
        return
    names = {str(shipment["location_id"]): shipment["location_name"] for shipment in plan.plan["shipments"]}
    for shipment in plan.plan["shipments"]:
        items = ", ".join(f"{titles.get(line['line_item_id'])} x{line['quantity']}" for line in shipment["lines"])
        click.echo(
            f"  ships from {shipment['location_name']}: {items} (about {shipment['estimated_delivery_days']} days)"
        )
    for backorder in plan.plan["backorders"]:
        click.echo(
            f"  waits for stock: {titles.get(backorder['line_item_id'])} x{backorder['quantity']}"
            f" ({backorder['reason']})"
        )
    outcome = plan.outcome or {}
    state = f" · {outcome['state']}" if outcome else ""
    click.echo(f"  in Shopify: {plan.applied or 'not sent'}{state}")
    for step in outcome.get("steps", []):
        units = sum(step["lines"].values())
        if step["step"] == "move":
            click.echo(f"    moved {units} unit(s) to {names.get(str(step['to']), step['to'])}")
        else:
            click.echo(f"    held {units} unit(s) until stock arrives")
    note = services.outbox.get(plan.note_action_id) if plan.note_action_id else None
    if note is not None:
        click.echo(f"    order note ({note.status}): {note.params['note']}")


def _tell_return(services: Services, titles: dict[int, str], return_id: int) -> None:
    record = services.returns.get(SHOP, return_id)
    click.echo("\nreturn #5005-R1 · order #5005 (asked 2 days after delivery; the store takes returns for 7 days):")
    if record is None:
        click.echo("  not recorded")
        return
    click.echo(
        f"  asked: the policy's decision is {record.decision or record.reason}; in Shopify the return is"
        f" {record.shopify_status}"
    )
    _tell_lines(record.evaluation, titles)
    outcome, proposal = record.outcome or {}, record.proposal or {}
    if outcome:
        click.echo(f"  inspected: {outcome['outcome']}")
        _tell_lines(outcome["evaluation"], titles)
    if proposal.get("by"):
        plan = proposal["plan"]
        click.echo(f"  refund of {plan['total']} {plan['currency']} confirmed by {proposal['by']}: {proposal['why']}")
    click.echo(f"  stage: {record.stage or 'request'}")


def _tell_lines(evaluation: dict[str, Any] | None, titles: dict[int, str]) -> None:
    for line in (evaluation or {}).get("lines", []):
        refund = f"refund {line['refund_amount']} {line['currency']}" if line["decision"] != "declined" else "no refund"
        reasons = "".join(f" · {reason}" for reason in line["reasons"])
        click.echo(f"    {titles.get(line['line_item_id'])}: {line['decision']}{reasons} · {refund}")
        click.echo(f"      {line['explanation']}")


def _tell_late(services: Services) -> None:
    click.echo("\nlate deliveries (the store's clock: 21 business days, then 30):")
    for record in sorted(services.late.open_records([SHOP]), key=lambda record: record.order_id):
        kind = {"late": "flag", "escalated": "case"}.get(record.state, record.state)
        click.echo(
            f"  order #{record.order_id}: {kind} · {record.elapsed_days} {record.day_kind} days in transit"
            f" · {record.reason}"
        )


def _tell_refunds(services: Services, titles: dict[int, str], return_id: int) -> None:
    click.echo("\nrefunds (the ledger):")
    for row in services.returns.ledger(SHOP):
        name = "#5005-R1" if row.return_id == return_id else str(row.return_id)
        click.echo(
            f"  return {name} · order #{row.order_id}: proposed {row.proposed} {row.currency}, refunded"
            f" {row.refunded} {row.currency} ({row.stage}){f' · {row.flag}' if row.flag else ''}"
        )
    for refund in services.returns.refunds(SHOP, 5005):
        items = ", ".join(f"{titles.get(line['line_item_id'])} x{line['quantity']}" for line in refund["lines"])
        click.echo(f"  refund {refund['id']} · order #5005: {refund['total']} {refund['currency']} for {items}")

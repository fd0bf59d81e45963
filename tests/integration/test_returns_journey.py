"""A return from request to refund, one store at a time: a signed returns/request in, judged under the store's
policy, approved in Shopify, the parcel disposed, inspected, the refund made with returnProcess in the fake Admin
API, and the refunds/create it sends back (signed) closing the loop in the ledger."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from config import policies
from config.settings import Settings
from tests.fakeshopify import FakeShop, RunningFakeShop, serve_fake_shop
from tests.fakeshopify.state import WebhookSink
from tests.integration import test_returns_worker
from tests.integration.test_operator import close, csrf_token, log_in, page
from tests.operator_seed import PASSWORD
from tests.support import TEST_SECRET, Stack
from worker.adapters.shopify import legacy_id
from worker.adapters.tables.returns import refunds
from worker.cli import cli
from worker.cli.returns import group
from worker.services import outbox, return_refunds
from worker.web import create_app

cli.add_command(group)

settings = test_returns_worker.settings  # the fixture: every store's policy, for its own shop domain
domain = test_returns_worker.domain

FIXTURES = Path(__file__).parents[1] / "fixtures" / "returns_worker"
ORDER = json.loads((FIXTURES / "order.json").read_text())
DRESS, SWIMSUIT = 31001, 31002  # delivered 2026-03-02 15:00 UTC
IN_WINDOW = "2026-03-03T10:00:00Z"  # the next day: inside every store's window (and starlightes' 48 hours)


@pytest.fixture
def shop() -> Iterator[RunningFakeShop]:
    state = FakeShop()
    state.add_product(41001, "Dresses")
    state.add_product(41002, "Swimwear")
    with serve_fake_shop(state) as running:
        yield running


@pytest.fixture
def shopworker(settings: Settings, shop: RunningFakeShop) -> Callable[..., Result]:
    """`shopworker returns ...` as a person runs it, with the deployment's settings and the fake shop's token."""
    env = {
        "SHOPIFY_API_SECRET": TEST_SECRET,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
        "REDIS_URL": settings.redis_url or "",
        "SHOPIFY_ACCESS_TOKEN": shop.access_token,
        "SHOPIFY_ADMIN_URL": shop.base_url,
        "SHOP_POLICIES": ",".join(f"{domain(name)}={name}" for name in policies.store_names()),
    }
    return lambda *args: CliRunner().invoke(cli, ["returns", *args], env=env)


def begin(
    stack: Stack, shop: RunningFakeShop, store: str, order: dict[str, Any], lines: list[tuple], exchanges: tuple = ()
) -> str:
    """The order is in Shopify, its shop's webhooks reach our receiver signed, and the customer asks to return
    `lines` (and to have the (variant id, quantity) `exchanges` instead): returns/request arrives and is worked."""
    shop.state.add_order(order, location_id=1)
    shop.state.webhooks = WebhookSink(
        lambda body, headers: stack.client.post("/webhooks", data=body, headers=headers), TEST_SECRET, domain(store)
    )
    stack.connect(shop)
    return_gid = shop.state.add_return(int(order["id"]), lines, created_at=IN_WINDOW, exchanges=exchanges)
    body = {"id": legacy_id(return_gid), "admin_graphql_api_id": return_gid, "status": "requested",
            "order": {"id": order["id"], "admin_graphql_api_id": order["admin_graphql_api_id"]}}  # fmt: skip
    stack.deliver("returns/request", json.dumps(body).encode(), f"request:{return_gid}", shop=domain(store))
    stack.work()
    return return_gid


def record(stack: Stack, store: str, return_gid: str):  # noqa: ANN201
    return stack.services.returns.get(domain(store), legacy_id(return_gid))


def ledger_row(stack: Stack, store: str, return_gid: str):  # noqa: ANN201
    (row,) = [row for row in stack.services.returns.ledger(domain(store)) if row.return_id == legacy_id(return_gid)]
    return row


def dispose(stack: Stack, shop: RunningFakeShop, return_gid: str, line: int, kind: str) -> None:
    shop.state.dispose(return_gid, line, kind)
    stack.work()


def assert_refunded(stack: Stack, shop: RunningFakeShop, store: str, return_gid: str, amount: str) -> None:
    assert stack.failed_jobs() == []
    (processed,) = shop.state.mutations_named("ProcessReturn")
    moved = processed["input"]["financialTransfer"]["issueRefund"]["orderTransactions"]
    assert sum(Decimal(t["transactionAmount"]["amount"]) for t in moved) == Decimal(amount)
    assert shop.state.returns[legacy_id(return_gid)].status == "CLOSED"
    row = ledger_row(stack, store, return_gid)
    assert (row.stage, row.proposed, row.refunded, row.flag) == ("refunded", Decimal(amount), Decimal(amount), None)


def test_starlightes_refunds_half_for_a_damaged_box_once_inspected(stack, shop, automated):
    automated("starlightes", approve=True, refund=True)
    return_gid = begin(stack, shop, "starlightes", ORDER, [(DRESS, 1, "style")])
    asked = record(stack, "starlightes", return_gid)
    assert (asked.decision, asked.status, asked.evaluation["lines"][0]["reasons"]) == (
        "review", "auto_approved", ["needs_inspection"],
    )  # fmt: skip
    assert shop.state.returns[legacy_id(return_gid)].status == "OPEN"

    dispose(stack, shop, return_gid, DRESS, "restocked")
    waiting = record(stack, "starlightes", return_gid)
    assert (waiting.stage, waiting.outcome["outcome"]) == ("inspection_review", "review")
    assert waiting.outcome["evaluation"]["lines"][0]["reasons"] == ["needs_inspection"]

    facts = {"packaging": "minor_damage", "tags_attached": True, "missing_accessories": "none"}
    return_refunds.record_form(stack.services, legacy_id(return_gid), DRESS, facts, by="Ana")
    stack.work()
    inspected = record(stack, "starlightes", return_gid)
    assert inspected.outcome["outcome"] == "partial_refund"
    assert inspected.outcome["evaluation"]["lines"][0]["refund_percent"] == 50
    assert inspected.outcome["policy_version"] == inspected.policy_version
    assert_refunded(stack, shop, "starlightes", return_gid, "30.00")


def test_charms_fr_deducts_the_postage_of_a_free_shipping_order_returned_whole(stack, shop, shopworker):
    order = copy.deepcopy(ORDER)
    order["line_items"] = order["line_items"][:1]
    order["shipping_lines"][0].update(price="0.00", discounted_price="0.00")
    order["total_price"] = "60.00"
    order["fulfillments"][0]["line_items"] = [{"id": DRESS, "quantity": 1}]
    return_gid = begin(stack, shop, "charms-fr", order, [(DRESS, 1, "unwanted")])
    assert record(stack, "charms-fr", return_gid).status == "awaiting_review"
    shop.state.approve(return_gid)  # the merchant approves it in Shopify's admin
    stack.work()

    dispose(stack, shop, return_gid, DRESS, "restocked")
    proposed = record(stack, "charms-fr", return_gid)
    assert (proposed.stage, proposed.outcome["outcome"]) == ("proposed", "full_refund")
    assert proposed.outcome["evaluation"]["refund"]["deductions"] == "4.90"
    assert shop.state.mutations_named("ProcessReturn") == []

    confirmed = shopworker("refund", str(legacy_id(return_gid)), "--by", "Claire", "--why", "parcel checked")
    assert confirmed.exit_code == 0, confirmed.output
    stack.work()
    assert_refunded(stack, shop, "charms-fr", return_gid, "55.10")
    assert record(stack, "charms-fr", return_gid).proposal["by"] == "Claire"


def test_little_twinkle_stars_refunds_the_tax_and_not_the_shipping(stack, shop, automated, shopworker):
    automated("little-twinkle-stars", approve=True, refund=True)
    order = copy.deepcopy(ORDER)
    order["line_items"][0]["tax_lines"] = [{"price": "4.80", "rate": 0.08, "title": "NY State Tax"}]
    return_gid = begin(stack, shop, "little-twinkle-stars", order, [(DRESS, 1, "style")])
    dispose(stack, shop, return_gid, DRESS, "restocked")
    inspected = shopworker("inspect", return_gid, "--line", str(DRESS), "--tags", "attached", "--by", "Lee")
    assert inspected.exit_code == 0, inspected.output
    assert inspected.stdout.endswith("stage refund_sent, outcome full_refund\n")
    stack.work()
    refund = record(stack, "little-twinkle-stars", return_gid).outcome["evaluation"]["refund"]
    assert (refund["items"], refund["tax"], refund["shipping"]) == ("60.00", "4.80", "0.00")
    assert_refunded(stack, shop, "little-twinkle-stars", return_gid, "64.80")


def test_an_exchange_the_customer_chose_in_shopify_is_processed_with_the_return_and_refunds_nothing(
    stack, shop, automated, shopworker
):
    automated("little-twinkle-stars", approve=True, refund=True)
    return_gid = begin(stack, shop, "little-twinkle-stars", ORDER, [(DRESS, 1, "size_too_small")], ((51009, 1),))
    dispose(stack, shop, return_gid, DRESS, "restocked")
    inspected = shopworker("inspect", return_gid, "--line", str(DRESS), "--tags", "attached", "--by", "Lee")
    assert inspected.exit_code == 0, inspected.output
    assert inspected.stdout.endswith("outcome exchange\n")
    stack.work()
    assert stack.failed_jobs() == []
    (processed,) = shop.state.mutations_named("ProcessReturn")
    (exchange,) = shop.state.returns[legacy_id(return_gid)].exchange_lines
    assert processed["input"]["exchangeLineItems"] == [{"id": f"gid://shopify/ExchangeLineItem/{exchange.id}",
                                                        "quantity": 1}]  # fmt: skip
    assert "financialTransfer" not in processed["input"]
    assert (exchange.processed_quantity, shop.state.returns[legacy_id(return_gid)].status) == (1, "CLOSED")


def test_starlow_declines_an_item_bought_with_a_code_over_15_percent_at_the_request(stack, shop, automated):
    automated("starlow", approve=True, decline=True, refund=True)
    order = copy.deepcopy(ORDER)
    order["discount_applications"] = [
        {"type": "discount_code", "code": "SPRING20", "value_type": "percentage", "value": "20.0",
         "allocation_method": "across"}
    ]  # fmt: skip
    order["line_items"][0]["discount_allocations"] = [{"amount": "12.00", "discount_application_index": 0}]
    return_gid = begin(stack, shop, "starlow", order, [(DRESS, 1, "unwanted")])
    declined = record(stack, "starlow", return_gid)
    assert (declined.decision, declined.status) == ("declined", "auto_declined")
    assert declined.evaluation["lines"][0]["reasons"] == ["discount_over_limit"]
    assert shop.state.returns[legacy_id(return_gid)].status == "DECLINED"
    assert shop.state.mutations_named("ProcessReturn") == []
    assert stack.services.returns.ledger(domain("starlow")) == []


def test_layered_jewelry_refunds_a_wrong_item_with_the_merchant_paying_the_return(stack, shop, automated):
    automated("layered-jewelry", approve=True, refund=True)
    return_gid = begin(stack, shop, "layered-jewelry", ORDER, [(DRESS, 1, "wrong_item")])
    asked = record(stack, "layered-jewelry", return_gid)
    assert (asked.decision, asked.status) == ("approved", "auto_approved")
    assert asked.evaluation["lines"][0]["return_shipping_paid_by"] == "merchant"
    dispose(stack, shop, return_gid, DRESS, "not_restocked")
    line = record(stack, "layered-jewelry", return_gid).outcome["evaluation"]["lines"][0]
    assert (line["decision"], line["return_shipping_paid_by"]) == ("approved", "merchant")
    assert_refunded(stack, shop, "layered-jewelry", return_gid, "60.00")


def test_under_redelivery_and_a_lost_answer_the_refund_is_made_once(stack, shop, automated):
    automated("layered-jewelry", approve=True, refund=True)
    return_gid = begin(stack, shop, "layered-jewelry", ORDER, [(DRESS, 1, "wrong_item")])
    shop.state.inject("lost", operation="ProcessReturn")  # carried out in Shopify, its answer lost on the way
    dispose(stack, shop, return_gid, DRESS, "restocked")
    (action,) = [a for a in stack.services.outbox.list() if a.action == "process_return"]
    assert stack.services.outbox.get(action.id).status == "pending"  # RQ retries it with backoff
    assert outbox.send(stack.services, action.id) == "sent"  # the retry finds the units processed
    assert outbox.send(stack.services, action.id) == "sent"
    (dispose_event,) = stack.services.records.list_events(topic="reverse_fulfillment_orders/dispose")
    stack.deliver("reverse_fulfillment_orders/dispose", json.dumps(dispose_event.payload).encode(), "again",
                  shop=domain("layered-jewelry"))  # fmt: skip
    (refund_event,) = stack.services.records.list_events(topic="refunds/create")
    stack.deliver("refunds/create", json.dumps(refund_event.payload).encode(), "again", shop=domain("layered-jewelry"))
    stack.work()
    assert len(shop.state.mutations_named("ProcessReturn")) == 1
    assert len(stack.rows(refunds)) == 1
    assert ledger_row(stack, "layered-jewelry", return_gid).refunded == Decimal("60.00")


def test_a_refund_shopify_refuses_leaves_the_proposal_open_with_shopifys_message(stack, shop, shopworker):
    return_gid = begin(stack, shop, "charms-fr", ORDER, [(DRESS, 1, "unwanted")])
    shop.state.approve(return_gid)
    dispose(stack, shop, return_gid, DRESS, "restocked")
    number = str(legacy_id(return_gid))
    too_much = shopworker("refund", number, "--by", "Ana", "--why", "goodwill", "--to-payment", "500.00")
    assert too_much.exit_code == 0, too_much.output
    stack.work()
    refused = record(stack, "charms-fr", return_gid)
    action = stack.services.outbox.get(refused.refund_action_id)
    assert (action.status, "exceeds the refundable amount" in action.last_error) == ("failed", True)
    assert refused.proposal["history"][0]["by"] is None  # the policy's own proposal, kept
    assert ledger_row(stack, "charms-fr", return_gid).refunded == Decimal(0)

    again = shopworker("refund", number, "--by", "Ana", "--why", "as the policy says", "--to-payment", "60.00")
    assert again.exit_code == 0, again.output
    stack.work()
    settled = record(stack, "charms-fr", return_gid)
    assert (settled.proposal["revision"], settled.stage) == (3, "refunded")
    assert ledger_row(stack, "charms-fr", return_gid).flag is None


def test_a_refund_other_than_the_one_proposed_is_flagged_in_the_ledger(stack, shop):
    return_gid = begin(stack, shop, "charms-fr", ORDER, [(DRESS, 1, "unwanted")])
    shop.state.approve(return_gid)
    dispose(stack, shop, return_gid, DRESS, "restocked")
    refund = {
        "id": 88001,
        "order_id": 6001,
        "return": {"id": legacy_id(return_gid)},
        "created_at": IN_WINDOW,
        "refund_line_items": [{"line_item_id": DRESS, "quantity": 1}],
        "transactions": [{"kind": "refund", "status": "success", "amount": "45.00", "currency": "USD"}],
    }
    stack.deliver("refunds/create", json.dumps(refund).encode(), "by-hand", shop=domain("charms-fr"))
    stack.work()
    assert ledger_row(stack, "charms-fr", return_gid).flag == "refunded 45.00 against 60.00 proposed (-15.00)"


def test_a_disposition_for_a_return_we_never_saw_reads_the_return_from_shopify_first(stack, shop, automated):
    automated("layered-jewelry", refund=True)
    shop.state.add_order(ORDER, location_id=1)
    shop.state.webhooks = WebhookSink(
        lambda body, headers: stack.client.post("/webhooks", data=body, headers=headers),
        TEST_SECRET,
        domain("layered-jewelry"),
    )
    stack.connect(shop)
    return_gid = shop.state.add_return(6001, [(DRESS, 1, "wrong_item")], created_at=IN_WINDOW)
    shop.state.open_return(shop.state.returns[legacy_id(return_gid)])  # its request never reached us
    dispose(stack, shop, return_gid, DRESS, "restocked")
    found = record(stack, "layered-jewelry", return_gid)
    assert (found.decision, found.request["lines"][0]["line_item_id"]) == ("approved", DRESS)
    assert found.stage == "refunded"


def test_a_form_contradicting_the_disposition_goes_to_a_person_with_both_shown(stack, shop, shopworker):
    return_gid = begin(stack, shop, "charms-fr", ORDER, [(DRESS, 1, "unwanted")])
    shop.state.approve(return_gid)
    dispose(stack, shop, return_gid, DRESS, "missing")
    said = shopworker("inspect", return_gid, "--line", str(DRESS), "--condition", "unused", "--by", "Ana")
    assert said.exit_code == 0, said.output
    held = record(stack, "charms-fr", return_gid)
    assert (held.stage, held.outcome["outcome"]) == ("inspection_review", "review")
    assert held.outcome["conflicts"] == [
        {"line_item_id": DRESS, "disposition": "missing (1)", "form": "condition: unused"}
    ]
    assert held.proposal is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["inspect", "404", "--line", "1", "--condition", "used", "--by", "Ana"],
                     "error: no return record 404\n", id="inspect: unknown return"),
        pytest.param(["inspect", "RETURN", "--line", "999", "--condition", "used", "--by", "Ana"],
                     "error: return RETURN does not ask to return line item 999\n", id="inspect: a line not asked"),
        pytest.param(["inspect", "RETURN", "--line", str(DRESS), "--by", "Ana"],
                     "error: say what was found (--condition, --packaging, --tags or --accessories) and --by whom\n",
                     id="inspect: nothing found"),
        pytest.param(["refund", "RETURN", "--by", "Ana", "--why", "ok"],
                     "error: return RETURN has no refund proposal (stage: request)\n", id="refund: nothing proposed"),
        pytest.param(["refund", "404", "--by", "Ana", "--why", "ok"], "error: no return record 404\n",
                     id="refund: unknown return"),
    ],
)  # fmt: skip
def test_bad_input_to_inspect_or_refund_exits_2_with_one_line(stack, shop, shopworker, args, message):
    return_gid = begin(stack, shop, "charms-fr", ORDER, [(DRESS, 1, "unwanted")])
    number = str(legacy_id(return_gid))
    result = shopworker(*[number if arg == "RETURN" else arg for arg in args])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == message.replace("RETURN", number)


@pytest.fixture
def operator(settings: Settings, shop: RunningFakeShop) -> Iterator[Any]:
    """The operator pages, logged in, with the deployment's credentials for the fake shop."""
    app = create_app(
        replace(
            settings,
            operator_password=PASSWORD,
            operator_secret_key="operator-test-key",
            shopify_access_token=shop.access_token,
            shopify_admin_url=shop.base_url,
        )
    )
    client = app.test_client()
    log_in(client)
    yield client
    close(app)


def test_on_the_operator_pages_a_person_inspects_the_item_and_confirms_the_refund(stack, shop, operator):
    return_gid = begin(stack, shop, "starlightes", ORDER, [(DRESS, 1, "style")])
    shop.state.approve(return_gid)
    dispose(stack, shop, return_gid, DRESS, "restocked")
    number = legacy_id(return_gid)
    assert 'stage <span class="tag inspection_review">inspection review</span>' in page(operator, "/returns")

    where = f"/operator/returns/{domain('starlightes')}/{number}"
    form = {"line": str(DRESS), "packaging": "minor_damage", "tags_attached": "attached",
            "missing_accessories": "none", "by": "Ana", "next": "/returns",
            "csrf_token": csrf_token(operator)}  # fmt: skip
    assert operator.post(f"{where}/inspect", data=form).status_code == 302
    shown = page(operator, "/returns")
    assert "<td>restocked 1</td>" in shown and "tags_attached: attached" in shown and "(by Ana)" in shown
    assert "30.00 USD: 30.00 to the" in shown

    decided = {"by": "Ana", "why": "box dented, item unused", "next": "/returns", "csrf_token": csrf_token(operator)}
    assert operator.post(f"{where}/refund", data=decided).status_code == 302
    stack.work()
    shown = page(operator, "/returns")
    assert 'stage <span class="tag refunded">refunded</span>' in shown
    assert "refunded 30.00 USD" in shown
    assert record(stack, "starlightes", return_gid).proposal["why"] == "box dented, item unused"

"""An operator's day on the pages: one order's whole story, late cases read in the shop's time and closed with who
and why, lists a page at a time, a dashboard of what waits on a person, and forms that ask before they change
anything."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from redis import Redis
from rq import Queue

from config.settings import Settings
from queueing.intake import Intake
from queueing.serializer import JobSerializer
from tests.conftest import SECRET
from tests.integration.test_operator import close, csrf_token, log_in, page
from tests.operator_seed import CUSTOMER_TEXTS, ORDER, PASSWORD, REFUND_ID, RETURN_ID, seed, seed_story
from tests.support import SHOP
from worker.adapters.returns_store import Inspected, ReturnRef
from worker.adapters.split_store import SKIPPED, Decision
from worker.cli import cli, late
from worker.domain.actions import PlannedAction
from worker.domain.events import Event
from worker.loopback import free_port
from worker.web import create_app

ORDER_PAGE = f"/orders/{SHOP}/{ORDER['id']}"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def operator_settings(settings: Settings) -> Settings:
    """The shop under its store policy (America/New_York), and no Admin API credentials: a dry run."""
    return replace(
        settings,
        operator_password=PASSWORD,
        operator_secret_key="operator-test-key",
        shop_policies={SHOP: "little-twinkle-stars"},
    )


@pytest.fixture
def app(operator_settings: Settings):
    app = create_app(operator_settings)
    yield app
    close(app)


@pytest.fixture
def web(app):
    client = app.test_client()
    log_in(client)
    return client


@pytest.fixture
def services(app):
    return app.wsgi_app.mounts["/operator"].extensions["shopworker_operator"]


@pytest.fixture
def seeded(services) -> int:
    event = seed(services)
    seed_story(services)
    return event


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def case_id(services) -> int:
    (case,) = services.late.records(kind="case")
    return case.id


# The order page --------------------------------------------------------------------------------------------------


def test_the_order_page_tells_the_whole_story_of_one_order(web, seeded, services):
    text = flat(page(web, ORDER_PAGE))
    assert "Order #5001 (5001)" in text
    assert 'href="https://admin.shopify.com/store/little-twinkle-stars/orders/5001"' in text
    # fulfillments with tracking and delivery, in the shop's time (New York)
    assert "La Poste LP123456789FR" in text and "La Poste LP987654321FR" in text
    assert "1 × Star night light" in text and "2026-03-25 04:00 EDT" in text
    # the late case and flag, returns with their stage, the refund
    assert f"case {case_id(services)}" in text and "possibly held at customs" in text
    assert f"Return {RETURN_ID}</strong>" in text and "awaiting_review" in text and "stage" in text
    assert f"<td>{REFUND_ID}</td>" in text and "1 × Moon plush" in text and "24.90 EUR" in text
    # the split plan and its actions in Shopify, the events
    assert "US warehouse: 1 × Star night light" in text
    assert "apply_split_plan" in text
    assert "orders/create" in text and "ShopifyError: 502 Bad Gateway" in text
    for customer in CUSTOMER_TEXTS:
        assert customer not in text


@pytest.mark.parametrize("path", ["/late", "/returns", "/split", "/events", "/actions"])
def test_every_list_links_to_the_order_page(web, seeded, path):
    assert f'href="/operator{ORDER_PAGE}"' in page(web, path)


def test_the_order_name_finds_the_order_page_and_its_events(web, seeded):
    found = web.get("/operator/orders?q=%235001")
    assert (found.status_code, found.location) == (302, f"/operator{ORDER_PAGE}")
    assert web.get("/operator/orders?q=5001").location == f"/operator{ORDER_PAGE}"
    assert f'id="event-{seeded}"' in page(web, "/events?order=%235001")
    assert "No order named #9999 is in the records." in page(web, "/events?order=%239999")
    assert "No order #9999 is in the records." in page(web, "/orders?q=%239999")


def test_an_order_no_record_names_says_so(web):
    assert "Nothing in the records names this order." in page(web, f"/orders/{SHOP}/42")


# Late deliveries -------------------------------------------------------------------------------------------------


def test_a_case_whose_parcel_has_arrived_says_so_and_a_travelling_one_counts_on(web, seeded, services):
    text = flat(page(web, "/late"))
    case = text[text.index(f'id="case-{case_id(services)}"') :]
    case = case[: case.index("</tr>")]
    flag = text[text.index('id="flag-') :]
    flag = flag[: flag.index("</tr>")]
    assert "arrived 2026-03-25 after 36 business days" in case and "so far" not in case
    assert "business days so far" in flag and "arrived" not in flag
    # the day each shipment crossed its first threshold (21 US business days), in New York time
    assert "2026-03-05 00:00 EST" in case and "2026-03-18 00:00 EDT" in flag
    assert "2026-03-20 05:30 EDT" in case  # when the case was opened


def test_a_case_is_closed_on_the_page_with_who_and_why(web, seeded, services):
    number = case_id(services)
    form = {"resolution": "arrived", "by": "Ana", "why": f"Tracking shows it delivered {HOSTILE}", "next": "/late"}
    answer = web.post(
        f"/operator/late/cases/{number}/close", data={**form, "csrf_token": csrf_token(web, "/operator/late")}
    )
    assert answer.location == f"/operator/late#case-{number}"
    assert f"Case {number} closed as arrived by Ana." in page(web, "/late?kind=flag")
    assert f'id="case-{number}"' not in page(web, "/late")  # open ones only, by default
    settled = flat(page(web, "/late?state=settled"))
    assert f"by Ana: Tracking shows it delivered {HOSTILE.replace('<', '&lt;').replace('>', '&gt;')}" in settled
    assert HOSTILE not in settled

    again = web.post(
        f"/operator/late/cases/{number}/close",
        data={**form, "resolution": "refunded", "csrf_token": csrf_token(web, "/operator/late")},
    )
    assert again.status_code == 302
    assert f"Case {number} stays as it was: case {number} was already closed (arrived by Ana)." in page(web, "/late")


@pytest.mark.parametrize(
    "form",
    [{"resolution": "", "by": "Ana", "why": "x"}, {"resolution": "arrived", "by": " ", "why": "x"}],
    ids=["no resolution chosen", "nobody named"],
)
def test_a_case_closed_without_how_or_who_stays_open(web, seeded, services, form):
    number = case_id(services)
    web.post(f"/operator/late/cases/{number}/close", data={**form, "csrf_token": csrf_token(web, "/operator/late")})
    assert f"Case {number} stays open" in page(web, "/late")
    assert services.late.records(kind="case")[0].status == "open"


def test_the_late_list_filters_by_store_and_state(web, seeded):
    def listed(query: str) -> set[str]:
        return set(re.findall(r'<tr id="((?:case|flag)-\d+)"', page(web, "/late?" + query)))

    assert len(listed("store=little-twinkle-stars")) == 2
    assert listed("store=starlow") == set()
    assert len(listed("kind=case")) == 1
    assert listed("state=settled") == set()
    assert len(listed("state=any&from=2026-03-20&to=2026-03-20")) == 2
    assert listed("from=2026-03-21") == set()


def test_the_command_line_closes_a_case_and_refuses_bad_input_in_one_line(settings, seeded, services):
    cli.add_command(late.group)
    env = {
        "SHOPIFY_API_SECRET": SECRET,
        "DATABASE_URL": settings.database_url,
        "DATABASE_SCHEMA": settings.database_schema or "",
    }
    number = str(case_id(services))
    run = CliRunner()
    listed = run.invoke(cli, ["late", "cases"], env=env).stdout.splitlines()
    assert listed[0].split()[:6] == ["case", "shop", "order", "fulfillment", "state", "closed"]
    assert listed[1].split()[:5] == [number, SHOP, "#5001", "7101", "open"]
    assert listed[1].split()[-2:] == ["2026-03-25", "08:00"]  # the parcel's arrival
    done = run.invoke(
        cli, ["late", "close", number, "--as", "reshipped", "--by", "Ana", "--reason", "sent again"], env=env
    )
    assert (done.exit_code, done.stdout) == (0, f"case {number} closed as reshipped by Ana\n")
    (record,) = services.late.records(kind="case")
    assert (record.status, record.resolution, record.closed_by, record.close_reason) == (
        "closed",
        "reshipped",
        "Ana",
        "sent again",
    )
    closed = run.invoke(cli, ["late", "cases", "--state", "closed"], env=env).stdout.splitlines()
    assert closed[1].split()[4:7] == ["closed", "reshipped", "Ana"]
    assert run.invoke(cli, ["late", "cases"], env=env).stdout == ""
    for args, message in (
        ([number], f"case {number} was already closed (reshipped by Ana)"),
        (["999"], "no late case with id 999"),
    ):
        refused = run.invoke(cli, ["late", "close", *args, "--as", "refunded", "--by", "Bo", "--reason", "r"], env=env)
        assert (refused.exit_code, refused.stderr) == (2, f"error: {message}\n")
    wrong = run.invoke(cli, ["late", "close", number, "--as", "lost", "--by", "Bo", "--reason", "r"], env=env)
    assert wrong.exit_code == 2 and len(wrong.stderr.splitlines()) == 1


# Lists and the dashboard ------------------------------------------------------------------------------------------


def test_the_event_log_pages_fifty_at_a_time_and_filters_by_day(web, services):
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for n in range(60):
        services.records.log_event(
            Event(SHOP, "orders/updated", f"evt-{n}", {"id": n}, start + timedelta(days=n % 3)), "processed"
        )

    def listed(query: str) -> int:
        return len(re.findall(r'<tr id="event-\d+"', page(web, "/events?" + query)))

    first = page(web, "/events")
    assert listed("") == 50 and 'rel="next"' in first and 'rel="prev"' not in first
    assert listed("page=2") == 10 and 'rel="prev"' in page(web, "/events?page=2")
    assert listed("from=2026-03-02&to=2026-03-02") == 20
    assert listed("from=2026-03-03") == 20


def test_split_plans_page_by_order_and_filter_by_the_day_their_order_came(web, services):
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for n in range(55):
        order_id = 7000 + n
        received = start + timedelta(days=n % 2)
        services.records.log_event(Event(SHOP, "orders/create", f"evt-{n}", {"id": order_id}, received), "processed")
        services.split.record(SHOP, order_id, Decision(SKIPPED, reason="no stock anywhere"), "orders/create", received)

    def listed(query: str) -> list[str]:
        return re.findall(rf"/operator/orders/{re.escape(SHOP)}/(\d+)", page(web, "/split?" + query))

    assert len(listed("")) == 50 and listed("")[0] == "7054"
    assert listed("page=2") == ["7004", "7003", "7002", "7001", "7000"]
    assert len(listed("from=2026-03-02")) == 27 and all(int(order) % 2 for order in listed("from=2026-03-02"))


def test_the_dashboard_counts_what_waits_on_a_person_and_says_actions_are_dry_runs(web, seeded, services):
    now = datetime.now(UTC)
    services.returns.hold(ReturnRef(SHOP, 902, ORDER["id"], "requested"), "needs_details", "no lines", now)
    plan = {"currency": "EUR", "lines": [{"line_item_id": 11002, "quantity": 1}], "to_payment": "24.90"}
    plan |= {"store_credit": "0.00", "shipping": "0.00", "total": "24.90"}
    proposal = Inspected("proposed", {"stage": "inspection"}, {"revision": 1, "plan": plan, "by": None})
    services.returns.save_inspection(services.returns.get(SHOP, RETURN_ID), proposal, now)
    actions = [PlannedAction(SHOP, "add_tags", "gid://shopify/Order/5001", {"tags": ["x"]}, f"k{n}") for n in range(3)]
    services.late.write([], [], actions, now)
    services.outbox.settle(services.outbox.pending()[0], "failed", now, error="refused")
    text = flat(page(web, "/"))
    counted = dict(
        (what.strip(), number) for number, what in re.findall(r'"number">(\S+)</div> (?:<a [^>]*>)?([^<]+)', text)
    )
    assert counted["Returns awaiting review"] == counted["Returns needing details"] == "1"
    assert (counted["Refund proposals to confirm"], counted["Inspections to review"]) == ("1", "0")
    assert f'id="return-{RETURN_ID}"' in page(web, "/returns?stage=proposed")
    assert f'id="return-{RETURN_ID}"' not in page(web, "/returns?stage=refunded")
    assert 'stage <span class="tag proposed">proposed</span>' in flat(page(web, ORDER_PAGE))
    assert counted["Shopify actions waiting"] == "3"  # the split plan's, two of the three above
    assert counted["Shopify actions refused by Shopify"] == "1"
    assert counted["Open late-delivery cases"] == counted["Open late-shipment flags"] == "1"
    refused = flat(page(web, "/actions?status=failed"))
    assert refused.count('<tr id="action-') == 1 and "refused" in refused
    assert flat(page(web, "/actions?status=pending")).count('<tr id="action-') == 3
    assert f"Dry run for {SHOP}: no Admin API credentials" in text
    assert f"<td>{SHOP}</td><td>-</td><td>no credentials</td><td>-</td> <td>dry run</td>" in text


def test_with_redis_down_the_dashboard_still_renders_and_says_so(web, app, seeded, services):
    dead = Redis(port=free_port(), socket_connect_timeout=0.5)
    app.wsgi_app.mounts["/operator"].extensions["shopworker_sessions"].redis = dead
    services.queue = Intake(dead, "shopworker", 60)
    text = flat(page(web, "/"))
    assert "Redis cannot be reached" in text and "Returns awaiting review" in text
    assert "Jobs queued" not in text
    refused = web.post(
        "/operator/events/1/replay", data={"confirm": "yes", "csrf_token": csrf_token(web, "/operator/events")}
    )
    assert refused.status_code == 503


# Forms -----------------------------------------------------------------------------------------------------------


def test_no_decision_is_preselected_and_an_override_asks_for_confirmation(web, seeded, services):
    text = page(web, "/returns")
    assert "selected" not in text.split('name="decision"')[1].split("</select>")[0]
    form = {"decision": "approved", "by": "Ana", "why": "photo", "csrf_token": csrf_token(web, "/operator/returns")}
    web.post(f"/operator/returns/{SHOP}/{RETURN_ID}/override", data=form)
    assert services.returns.get(SHOP, RETURN_ID).decision == "review"
    assert "tick the box to confirm an override" in page(web, "/returns")
    assert 'type="checkbox" name="confirm" value="yes" required' in text


def test_a_replay_asks_for_confirmation_before_queueing(web, seeded, redis):
    web.post(f"/operator/events/{seeded}/replay", data={"csrf_token": csrf_token(web, "/operator/events")})
    assert Queue("shopworker", connection=redis, serializer=JobSerializer).count == 0
    assert f"Event {seeded} not queued: tick the box to confirm a replay." in page(web, "/events")


@pytest.mark.parametrize(
    "path",
    [
        "/late?state=bogus",
        "/late?kind=parcel",
        "/actions?status=lost",
        "/events?from=yesterday",
        "/returns?to=2026-02-30",
        "/events?page=0",
        "/late?page=99999999999999999999999",
        "/orders?q=camille",
        f"/orders/little%00twinkle/{ORDER['id']}",
        "/split?order=%23" + "9" * 200,
    ],
)
def test_odd_values_on_the_new_pages_are_a_400(web, path):
    assert web.get("/operator" + path).status_code == 400

"""A person at the operator pages: Debian's chromium, driven by Playwright, against gunicorn serving
`worker.web:create_app()` on loopback with a private Redis and PostgreSQL schema. Each run keeps a screenshot of
every page it walks in test-artifacts/operator-<UTC time of the run>/ (the newest also as test-artifacts/operator)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from queueing.serializer import JobSerializer
from tests.e2e.conftest import ROOT
from tests.operator_seed import CUSTOMER_TEXTS, PASSWORD, RETURN_ID, seed, seed_story
from tests.support import SHOP
from worker.loopback import answers, free_port

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """This run's folder of screenshots, beside the earlier runs'; `operator` points at the newest."""
    artifacts = ROOT / "test-artifacts"
    run = artifacts / f"operator-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run.mkdir(parents=True, exist_ok=True)
    latest = artifacts / "operator"
    if latest.is_symlink() or not latest.exists():
        latest.unlink(missing_ok=True)
        latest.symlink_to(run.name)
    return run


@pytest.fixture
def operator_url(service):
    """gunicorn with two workers, as the Procfile runs it, so the login must hold across processes."""
    port = free_port()
    env = {
        **service.env,
        "OPERATOR_PASSWORD": PASSWORD,
        "OPERATOR_SECRET_KEY": "e2e-operator-key",
        "SHOP_POLICIES": f"{SHOP}=little-twinkle-stars",
    }
    service.children.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "worker.web:create_app()",
            ],
            env=env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
    )
    if not answers(f"http://127.0.0.1:{port}/healthz"):
        pytest.fail("gunicorn did not come up")
    return f"http://127.0.0.1:{port}/operator"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_an_operator_logs_in_overrides_a_return_and_replays_an_event(service, operator_url, browser, screenshots):
    services = service.services()
    event_row = seed(services)
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    page.goto(operator_url + "/returns")
    assert "/operator/login" in page.url
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "That password is not right."
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == operator_url + "/returns"

    card = page.locator(f"#return-{RETURN_ID}")
    card.locator("select[name=decision]").select_option("approved")
    card.locator("input[name=by]").fill("Ana (support)")
    card.locator("input[name=why]").fill("The photo shows the stitching came apart")
    card.get_by_role("button", name="Override").click()
    assert services.returns.get(SHOP, RETURN_ID).decision == "review"  # the browser asks for the box first
    card.locator("input[name=confirm]").check()
    card.get_by_role("button", name="Override").click()
    assert page.get_by_role("status").inner_text() == f"Return {RETURN_ID}: review -> approved by Ana (support)."
    record = services.returns.get(SHOP, RETURN_ID)
    assert (record.decision, record.overrides[-1]["by"]) == ("approved", "Ana (support)")
    page.screenshot(path=str(screenshots / "returns.png"), full_page=True)

    page.click("text=Events")
    page.fill("#order", "5001")
    page.select_option("#status", "failed")
    page.click("text=Search")
    row = page.locator(f"#event-{event_row}")
    row.locator("input[name=confirm]").check()
    row.get_by_role("button", name="Replay").click()
    assert page.get_by_role("status").inner_text() == f"Event {event_row} (orders/create) queued again."
    assert "order=5001" in page.url and "status=failed" in page.url
    (job,) = Queue("shopworker", connection=Redis.from_url(service.redis.url), serializer=JobSerializer).get_jobs()
    assert job.description == f"replay of event {event_row}"
    page.screenshot(path=str(screenshots / "events.png"), full_page=True)

    for text in CUSTOMER_TEXTS:
        assert text not in page.content()

    page.click("text=Dashboard")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
    page.click("text=Queues")
    page.wait_for_selector("text=shopworker")
    assert "/operator/rq/" in page.url
    page.screenshot(path=str(screenshots / "queues.png"), full_page=True)
    services.engine.dispose()


def test_an_operator_finds_an_order_reads_its_story_and_closes_its_late_case(
    service, operator_url, browser, screenshots
):
    services = service.services()
    seed(services)
    seed_story(services)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(operator_url + "/login")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")

    dashboard = page.locator("main").inner_text()
    assert "Waiting on you" in dashboard and "Returns awaiting review" in dashboard
    assert f"Dry run for {SHOP}" in dashboard  # no Admin API credentials in this service
    page.screenshot(path=str(screenshots / "dashboard-waiting.png"), full_page=True)

    page.fill("#order-search", "#5001")
    page.get_by_role("button", name="Find").click()
    assert page.url == f"{operator_url}/orders/{SHOP}/5001"
    story = page.locator("main").inner_text()
    for shown in (
        "La Poste LP123456789FR",
        "possibly held at customs",
        "Return 901",
        "US warehouse",
        "apply_split_plan",
    ):
        assert shown in story
    admin = page.get_by_role("link", name="Open the order in Shopify admin")
    assert admin.get_attribute("href") == "https://admin.shopify.com/store/little-twinkle-stars/orders/5001"
    for text in CUSTOMER_TEXTS:
        assert text not in page.content()
    page.screenshot(path=str(screenshots / "order.png"), full_page=True)

    page.get_by_role("link", name="Late deliveries", exact=True).click()
    (case,) = services.late.records(kind="case")
    row = page.locator(f"#case-{case.id}")
    assert (
        "arrived 2026-03-25 after 36 business days" in row.inner_text() and "2026-03-05 00:00 EST" in row.inner_text()
    )
    page.screenshot(path=str(screenshots / "late.png"), full_page=True)
    row.get_by_label("Close as").select_option("arrived")
    row.get_by_label("By").fill("Ana (support)")
    row.get_by_label("Why").fill("Delivered on 25 March, the customer confirmed")
    row.get_by_role("button", name="Close case").click()
    assert page.get_by_role("status").inner_text() == f"Case {case.id} closed as arrived by Ana (support)."
    page.select_option("#state", "settled")
    page.get_by_role("button", name="Show").click()
    assert "by Ana (support): Delivered on 25 March" in page.locator(f"#case-{case.id}").inner_text()
    page.screenshot(path=str(screenshots / "late-closed.png"), full_page=True)
    services.engine.dispose()


def test_a_hostile_event_id_in_a_job_description_shows_as_text_and_runs_nothing(service, operator_url, browser):
    """An event id written as markup (a job queued before the receiver limited ids, or by anything else) reaches
    the job's description; rq-dashboard's job page must show it, not run it."""
    hostile = "<img src=x onerror=window.__ran=1>"
    queue = Queue("shopworker", connection=Redis.from_url(service.redis.url), serializer=JobSerializer)
    job = queue.enqueue("worker.jobs.order_event", {"shop": SHOP}, description=f"orders/create {SHOP} {hostile}")
    page = browser.new_page()
    page.goto(operator_url + "/login")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{operator_url}/rq/0/view/job/{job.id}")
    page.wait_for_selector(".description-scroll")

    assert page.locator(".description-scroll").inner_text().strip() == f"orders/create {SHOP} {hostile}"
    assert page.evaluate("window.__ran") is None
    assert page.locator(".description-scroll img").count() == 0

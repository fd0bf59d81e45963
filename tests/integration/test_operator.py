"""The operator pages through Flask's test client, on the real Redis and each supported database."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import pytest
from rq import Queue

from config.settings import Settings
from queueing.serializer import JobSerializer
from tests.operator_seed import CUSTOMER_TEXTS, EXPLANATION, ORDER, PASSWORD, RETURN_ID, seed
from tests.support import FIXTURES, SHOP, TEST_SECRET
from worker.adapters.shopify.grants import STATIC, Grant
from worker.adapters.tokens import ShopCredentials
from worker.web import create_app

PAGES = [
    "/",
    "/late",
    "/returns",
    "/split",
    "/events",
    "/actions",
    "/orders",
    f"/orders/{SHOP}/5001",
    "/privacy",
    "/rq/",
    "/rq/0/view/workers",
    "/rq/0/data/queues.json",
]
ACCESS_TOKEN = "shpat_do_not_show_me"


@pytest.fixture
def operator_settings(settings: Settings) -> Settings:
    return replace(
        settings,
        operator_password=PASSWORD,
        operator_secret_key="operator-test-key",
        shopify_access_token=ACCESS_TOKEN,
        shopify_admin_url="http://127.0.0.1:9",
    )


@pytest.fixture
def web(operator_settings: Settings):
    app = create_app(operator_settings)
    yield app.test_client()
    close(app)


def close(app) -> None:
    """Give back the connections the web process holds (the receiver's Redis, the operator's Redis and engine)."""
    app.extensions["shopworker_intake"].redis.close()
    operator = app.wsgi_app.mounts["/operator"]
    services = operator.extensions["shopworker_operator"]
    services.jobs.redis.close()
    operator.redis_conn.close()
    services.engine.dispose()


@pytest.fixture
def seeded(stack, operator_settings: Settings) -> int:
    return seed(stack.services)


def csrf_token(client, path: str = "/operator/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client) -> None:
    response = client.post("/operator/login", data={"password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def page(client, path: str) -> str:
    response = client.get("/operator" + path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_and_the_queue_dashboard_send_a_stranger_to_the_login(web, path):
    response = web.get("/operator" + path)
    assert response.status_code == 302
    assert response.location.startswith("/operator/login?next=")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_and_the_queue_dashboard_open_after_login(web, path):
    log_in(web)
    assert web.get("/operator" + path).status_code == 200


def test_a_wrong_password_is_refused_logged_and_reveals_nothing(web, caplog):
    with caplog.at_level(logging.WARNING, logger="worker.operator.auth"):
        response = web.post("/operator/login", data={"password": "guess", "csrf_token": csrf_token(web)})
    text = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "That password is not right." in text
    assert PASSWORD not in text and "guess" not in text
    assert [r.message for r in caplog.records] == ["operator login refused"]
    assert web.get("/operator/").status_code == 302


def test_the_session_cookie_is_secure_http_only_and_same_site_lax(web):
    response = web.post("/operator/login", data={"password": PASSWORD, "csrf_token": csrf_token(web)})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("shopworker_operator=")
    assert all(attribute in cookie for attribute in ("Secure", "HttpOnly", "SameSite=Lax"))


def test_after_login_the_operator_lands_where_they_were_going_but_never_on_another_site(web):
    token = csrf_token(web)
    going = web.post(
        "/operator/login?next=/events?topic=orders/create", data={"password": PASSWORD, "csrf_token": token}
    )
    assert going.location == "/operator/events?topic=orders/create"
    web.post("/operator/logout", data={"csrf_token": csrf_token(web, "/operator/")})
    away = web.post("/operator/login?next=//evil.example/", data={"password": PASSWORD, "csrf_token": csrf_token(web)})
    assert away.location == "/operator/"


def test_logging_out_ends_the_session(web):
    log_in(web)
    web.post("/operator/logout", data={"csrf_token": csrf_token(web, "/operator/")})
    assert web.get("/operator/").status_code == 302


@pytest.mark.parametrize(
    "path, form",
    [
        ("/operator/login", {"password": PASSWORD}),
        (f"/operator/returns/{SHOP}/{RETURN_ID}/override", {"decision": "approved", "by": "Ana", "why": "photo"}),
        ("/operator/events/1/replay", {}),
        ("/operator/logout", {}),
    ],
    ids=["login", "override", "replay", "logout"],
)
def test_a_form_without_its_csrf_token_is_refused(web, seeded, path, form):
    if "login" not in path:
        log_in(web)
    response = web.post(path, data=form)
    assert response.status_code == 400
    assert "The form was refused" in response.get_data(as_text=True)
    assert _services(web).returns.get(SHOP, RETURN_ID).decision == "review"


def _services(web):
    """The operator app's services, as the composition root built them for it."""
    operator = web.application.wsgi_app.mounts["/operator"]
    return operator.extensions["shopworker_operator"]


def test_a_return_awaiting_review_shows_its_lines_decision_reasons_and_policy(web, seeded):
    log_in(web)
    text = page(web, "/returns?status=awaiting_review")
    assert f'Return {RETURN_ID} · order <a href="/operator/orders/{SHOP}/5001">#5001 (5001)</a>' in text
    for shown in ("Moon plush", "defective", "24.90 EUR", "defect reported: review", "little-twinkle-stars"):
        assert shown in text
    assert "3f2a9c1d" in text
    assert EXPLANATION.replace("'", "&#39;") in text
    assert "No return records with status auto_approved." in page(web, "/returns?status=auto_approved")


def test_an_override_from_the_page_changes_the_record_and_keeps_its_history(web, seeded):
    log_in(web)
    form = {"decision": "approved", "by": "Ana", "why": "Photo shows the defect", "confirm": "yes"}
    form["csrf_token"] = csrf_token(web)
    response = web.post(f"/operator/returns/{SHOP}/{RETURN_ID}/override", data={**form, "next": "/returns"})
    assert response.location == f"/operator/returns#return-{RETURN_ID}"
    record = _services(web).returns.get(SHOP, RETURN_ID)
    assert (record.decision, record.status) == ("approved", "overridden")
    ((entry),) = record.overrides
    assert (entry["by"], entry["why"], entry["old_decision"]) == ("Ana", "Photo shows the defect", "review")
    text = page(web, "/returns")
    assert "Return 901: review -&gt; approved by Ana." in text
    assert "Photo shows the defect" in text


def test_an_override_without_who_and_why_changes_nothing(web, seeded):
    log_in(web)
    form = {"decision": "approved", "by": " ", "why": "", "confirm": "yes", "csrf_token": csrf_token(web)}
    web.post(f"/operator/returns/{SHOP}/{RETURN_ID}/override", data=form)
    assert _services(web).returns.get(SHOP, RETURN_ID).decision == "review"
    assert "An override needs a decision" in page(web, "/returns")


def test_replay_queues_the_logged_event_again_and_the_worker_handles_it(web, stack):
    body = (FIXTURES / "orders" / "create" / "two_warehouses_to_france.json").read_bytes()
    stack.deliver("orders/create", body, "evt-replayed")
    stack.work()
    (event,) = stack.services.records.list_events()
    log_in(web)
    response = web.post(
        f"/operator/events/{event.id}/replay",
        data={"csrf_token": csrf_token(web), "confirm": "yes", "next": "/events?order=5001"},
    )
    assert response.location == "/operator/events?order=5001"
    (job,) = Queue("shopworker", connection=stack.redis, serializer=JobSerializer).get_jobs()
    assert job.description == f"replay of event {event.id}"
    assert json.loads(job.args[0]["body"]) == json.loads(body)
    assert job.args[0]["source"] == "replay"
    stack.work()
    replayed = stack.services.records.get_event(event.id)
    assert (replayed.attempts, replayed.source, replayed.status) == (2, "replay", "processed")
    assert f"Event {event.id} (orders/create) queued again." in page(web, "/events")


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ("order=5001", ["evt-order"], ["evt-other", "evt-refund"]),
        ("order=%235001", ["evt-order"], ["evt-other", "evt-refund"]),
        ("topic=refunds/create", ["evt-refund"], ["evt-order", "evt-other"]),
        ("status=failed", ["evt-other"], ["evt-order", "evt-refund"]),
        ("topic=orders/create&status=processed", ["evt-order"], ["evt-other", "evt-refund"]),
    ],
)
def test_the_event_log_is_searched_by_order_topic_and_status(web, stack, query, shown, hidden):
    from datetime import UTC, datetime

    from worker.domain.events import Event

    records = stack.services.records
    for event_id, topic, payload, status in (
        ("evt-order", "orders/create", {"id": 5001, "name": "#5001"}, "processed"),
        ("evt-other", "orders/create", {"id": 5002, "name": "#5002"}, "failed"),
        ("evt-refund", "refunds/create", {"id": 1, "order_id": 5003}, "processed"),
    ):
        records.log_event(
            Event(SHOP, topic, event_id, payload, datetime.now(UTC)), status, "boom" if status == "failed" else None
        )
        if topic == "orders/create" and status == "processed":
            records.save_order(SHOP, {**payload, "updated_at": "2026-03-20T09:30:00Z"})
    rows = {logged.event_id: logged.id for logged in records.list_events(shop=SHOP)}
    log_in(web)
    text = page(web, "/events?" + query)
    listed = set(re.findall(r'id="event-(\d+)"', text))
    assert listed == {str(rows[name]) for name in shown}
    assert all(str(rows[name]) not in listed for name in hidden)


def test_late_cases_come_before_flags_with_their_reasons(web, seeded):
    log_in(web)
    text = page(web, "/late")
    case, flag = text.index("reship or refund</td>"), text.index("possibly held at customs")
    assert case < flag
    assert "31 business days" in text and "#5001 (5001)" in text


def test_split_plans_show_each_shipment_with_why(web, seeded):
    log_in(web)
    for text in (page(web, "/split"), page(web, "/split?order=5001")):
        assert "US warehouse" in text and "ready now and the fastest to France" in text
        assert "1 × Glow blanket" in text and "only the China warehouse has it" in text
    assert "No split plans for order 42." in page(web, "/split?order=42")


def test_the_dashboard_counts_what_needs_attention(web, seeded):
    log_in(web)
    text = re.sub(r"\s+", " ", page(web, "/"))
    counted = {what: number for number, what in re.findall(r'"number">(\S+)</div> (?:<a href="[^"]*">)?([^<]+)', text)}
    assert counted["Returns awaiting review"] == "1"
    assert counted["Open late-delivery cases"] == counted["Open late-shipment flags"] == "1"
    assert counted["Events failed"] == counted["Events logged"] == "1"


def test_no_page_shows_the_customer_or_any_secret(web, seeded, operator_settings):
    log_in(web)
    for path in ["/", "/late", "/returns", "/split", "/events", "/rq/", "/rq/0/view/jobs/shopworker/queued/8/asc/1"]:
        text = page(web, path)
        for secret in (*CUSTOMER_TEXTS, ACCESS_TOKEN, PASSWORD, TEST_SECRET, "operator-test-key", "Camille here"):
            assert secret not in text, (path, secret)


def test_the_queue_dashboard_requeues_only_by_post_with_the_csrf_cookie(web):
    log_in(web)
    web.get("/operator/rq/")
    token = web.get_cookie("_csrf_token", path="/operator/rq").value
    assert web.get("/operator/rq/requeue/shopworker").status_code == 405
    assert web.post("/operator/rq/requeue/shopworker").status_code == 400
    assert web.post("/operator/rq/requeue/shopworker", headers={"X-CSRFToken": token}).status_code == 200


def test_the_queue_dashboards_jobs_tab_opens_on_the_workers_own_queue(operator_settings, redis):
    """Not on RQ's "default" queue, which nothing uses."""
    app = create_app(replace(operator_settings, queue_name="orders-eu"))
    try:
        web = app.test_client()
        log_in(web)
        Queue("orders-eu", connection=redis, serializer=JobSerializer).enqueue("worker.jobs.send_action", 1)
        opened = web.get("/operator/rq/0/view/jobs", follow_redirects=True)
        assert opened.request.path == "/operator/rq/0/view/jobs/orders-eu/queued/8/asc/1"
        assert "all the queued jobs on queue <strong>orders-eu</strong>" in opened.get_data(as_text=True)
        listed = web.get("/operator/rq/0/data/jobs/orders-eu/queued/8/asc/1.json").get_json()
        assert [job["description"] for job in listed["jobs"]] == ["worker.jobs.send_action(1)"]
    finally:
        close(app)


def test_without_an_operator_password_the_web_process_is_the_plain_receiver(settings):
    app = create_app(settings)
    client = app.test_client()
    assert client.get("/operator/login").status_code == 404
    assert client.get("/healthz").status_code == 200
    app.extensions["shopworker_intake"].redis.close()


def test_the_receiver_still_takes_webhooks_with_the_operator_mounted(web, stack):
    from tests.support import headers_for

    body = json.dumps(ORDER).encode()
    response = web.post("/webhooks", data=body, headers=headers_for(body, "orders/create", TEST_SECRET, SHOP, "e1"))
    assert response.status_code == 200


def test_the_dashboard_names_a_shop_to_reinstall_and_shows_no_token(web, stack, operator_settings):
    credentials = ShopCredentials.build(operator_settings, stack.services.engine, stack.redis)
    credentials.install(SHOP, STATIC, Grant(access_token=ACCESS_TOKEN, scopes=()))
    credentials.refused(SHOP, STATIC, "Shopify refused the static access token (revoked)")
    log_in(web)
    text = re.sub(r"\s+", " ", page(web, "/"))
    assert f"{SHOP} needs_reinstall: Shopify refused the static access token (revoked)." in text
    assert f"<td>{SHOP}</td><td>static</td><td>needs_reinstall</td>" in text.replace("> <", "><")
    assert ACCESS_TOKEN not in text

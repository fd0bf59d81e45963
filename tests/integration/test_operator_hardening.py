"""The operator login against guessing, sessions that end when they should, headers that keep the pages in their own
frame, odd query values answered 400, and job text that never runs as script on rq-dashboard's pages."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import url_for
from rq import Queue
from sqlalchemy import select

from queueing.serializer import JobSerializer
from tests.integration.test_operator import close, csrf_token, log_in
from tests.operator_seed import PASSWORD, RETURN_ID, seed
from tests.support import SHOP
from worker.adapters.tables.late import late_cases
from worker.operator.sessions import FREE_ATTEMPTS_OVERALL, FREE_ATTEMPTS_PER_CLIENT
from worker.web import create_app

HOSTILE = "<img src=x onerror=alert(document.cookie)>"
COOKIE = "shopworker_operator"


@pytest.fixture
def operator_settings(settings):
    return replace(settings, operator_password=PASSWORD, operator_secret_key="operator-test-key")


@pytest.fixture
def app(operator_settings):
    app = create_app(operator_settings)
    yield app
    close(app)


@pytest.fixture
def clock(app):
    """The throttle's clock, moved by hand."""
    now = [1_000_000.0]
    app.wsgi_app.mounts["/operator"].extensions["shopworker_sessions"].clock = lambda: now[0]
    return now


def attempt(app, password: str, client: str = "203.0.113.7"):
    web = app.test_client()
    web.environ_base["REMOTE_ADDR"] = client
    return web.post("/operator/login", data={"password": password, "csrf_token": csrf_token(web)})


def test_300_wrong_passwords_from_one_client_are_mostly_not_even_checked(app, clock):
    answers = [attempt(app, f"guess-{n}").status_code for n in range(300)]
    assert answers.count(401) == FREE_ATTEMPTS_PER_CLIENT + 1
    assert answers.count(429) == 300 - FREE_ATTEMPTS_PER_CLIENT - 1


def test_each_further_wrong_password_waits_twice_as_long_and_the_right_one_waits_too(app, clock):
    for n in range(FREE_ATTEMPTS_PER_CLIENT + 1):
        assert attempt(app, f"guess-{n}").status_code == 401
    waits = []
    for _ in range(4):
        refused = attempt(app, "another guess")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock[0] += waits[-1]
        assert attempt(app, "yet another guess").status_code == 401
    assert waits == [1, 2, 4, 8]

    assert attempt(app, PASSWORD).status_code == 429  # the right password is not checked either
    assert "try again in 16 s" in attempt(app, PASSWORD).get_data(as_text=True)
    clock[0] += 16
    assert attempt(app, PASSWORD).status_code == 302
    assert attempt(app, PASSWORD, client="198.51.100.1").status_code == 302  # another client was never slowed


def test_wrong_passwords_from_many_clients_slow_every_login(app, clock):
    for n in range(FREE_ATTEMPTS_OVERALL + 1):
        assert attempt(app, "guess", client=f"10.0.{n // 250}.{n % 250}").status_code == 401
    assert attempt(app, PASSWORD, client="192.0.2.1").status_code == 429


def test_logging_out_ends_the_session_even_for_a_copy_of_its_cookie(app):
    web = app.test_client()
    log_in(web)
    copied = web.get_cookie(COOKIE).value
    web.post("/operator/logout", data={"csrf_token": csrf_token(web, "/operator/")})

    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/operator/").status_code == 302


def test_a_password_change_ends_the_sessions_opened_with_the_old_one(app, operator_settings):
    web = app.test_client()
    log_in(web)
    copied = web.get_cookie(COOKIE).value
    assert web.get("/operator/").status_code == 200

    restarted = create_app(replace(operator_settings, operator_password="a new password, long enough"))
    try:
        old = restarted.test_client()
        old.set_cookie(COOKIE, copied)
        assert old.get("/operator/").status_code == 302
    finally:
        close(restarted)


@pytest.mark.parametrize("path", ["/operator/login", "/operator/events", "/operator/rq/"])
def test_pages_forbid_framing_sniffing_and_foreign_scripts(app, path):
    web = app.test_client()
    log_in(web)
    headers = web.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "default-src 'self'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "query",
    [
        "/events?order=99999999999999999999",
        "/split?order=%C2%B2",
        "/events?shop=little%00twinkle",
        "/returns?status=" + "x" * 300,
    ],
    ids=["an order beyond its column", "a digit that is not ASCII", "a NUL in shop", "a status too long"],
)
def test_odd_query_values_are_a_400_not_a_500(app, query):
    web = app.test_client()
    log_in(web)
    assert web.get("/operator" + query).status_code == 400


ODD_VALUES = ["a%00b", "x" * 300, "99999999999999999999", "9999-12-31", "%C2%B2", "-1"]
QUERY_NAMES = ["shop", "order", "q", "status", "stage", "topic", "store", "state", "from", "to", "page"]


def test_no_odd_query_value_on_any_page_is_a_404_or_a_500(app):
    """Every page of the operator's own (an address naming a record: the order page of a shop), each query name
    any of them reads, each odd value: the answer is the page, a redirect to it, or a 400."""
    web = app.test_client()
    log_in(web)
    operator = app.wsgi_app.mounts["/operator"]
    pages = []
    with operator.test_request_context():
        for rule in operator.url_map.iter_rules():
            if rule.endpoint.startswith("views.") and "GET" in rule.methods:
                named = {"shop": "little-twinkle-stars.myshopify.com", "order_id": 5001, "export_id": 1}
                pages.append(url_for(rule.endpoint, **{arg: named[arg] for arg in rule.arguments}))
    served = [page for page in pages if web.get("/operator" + page).status_code == 200]
    assert {"/", "/late", "/returns", "/events", "/privacy"} <= set(served)
    odd = [
        (answer.status_code, page, name, value[:20])
        for page in served
        for name in QUERY_NAMES
        for value in ODD_VALUES
        if (answer := web.get(f"/operator{page}?{name}={value}")).status_code not in (200, 302, 400)
    ]
    assert odd == []


FORM_FIELDS = ["by", "why", "decision", "line", "condition", "to_payment", "store_credit", "resolution", "next"]
ODD_FORM_VALUES = ["a\x00b", "x" * 300, "99999999999999999999", "\u00b2", "NaN"]


def test_no_odd_value_in_an_operator_form_is_a_500(stack, app):
    """Each form that changes a record, sent for records that exist with one field odd at a time: the answer is a
    message on the page (a redirect), a 400 or a 404, never a 500."""
    seed(stack.services)
    web = app.test_client()
    log_in(web)
    with stack.services.engine.connect() as connection:
        case_id = connection.execute(select(late_cases.c.id)).scalar_one()
    forms = [f"/returns/{SHOP}/{RETURN_ID}/{action}" for action in ("inspect", "refund", "override")]
    forms += [f"/late/cases/{case_id}/close", "/events/1/replay"]
    sane = {"by": "Ana", "why": "checked", "decision": "approved", "line": "11002", "condition": "unused",
            "to_payment": "1.00", "resolution": "reship", "confirm": "yes", "next": "/returns"}  # fmt: skip
    sane["csrf_token"] = csrf_token(web, "/operator/returns")
    failed = [
        (answer.status_code, form, field, value[:10])
        for form in forms
        for field in FORM_FIELDS
        for value in ODD_FORM_VALUES
        if (answer := web.post("/operator" + form, data={**sane, field: value})).status_code >= 500
    ]
    assert failed == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/events/99999999999/replay", "must be a whole number from 0 to 2147483647"),
        ("/events/12abc/replay", "must be a whole number from 0 to 2147483647"),
        ("/events/%C2%B2/replay", "must be a whole number from 0 to 2147483647"),
        ("/returns/little-twinkle-stars.myshopify.com/99999999999999999999/override", "must be a whole number"),
        ("/returns/little-twinkle-stars.myshopify.com/-1/override", "must be a whole number"),
        ("/returns/little%00twinkle/901/override", "without NUL"),
        ("/returns/" + "x" * 300 + "/901/override", "at most 255 characters"),
    ],
    ids=[
        "an event id beyond its column",
        "an event id not a number",
        "a digit that is not ASCII",
        "a return id beyond 64 bits",
        "a negative return id",
        "a NUL in the shop",
        "a shop too long",
    ],  # fmt: skip
)
def test_an_odd_id_or_shop_in_a_form_address_is_a_400_that_says_why_not_a_404(app, path, reason):
    """A replay or an override posted to an id no record could have is the sender's mistake, not a missing page."""
    web = app.test_client()
    log_in(web)
    answer = web.post("/operator" + path, data={"csrf_token": csrf_token(web, "/operator/events"), "by": "x"})
    assert answer.status_code == 400
    assert reason in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/rq/1/view/jobs",
        "/rq/99999999999999999999/data/queues.json",
        "/rq/0/view/job/%3Cimg%3E",
        "/rq/0/data/job/a%00b.json",
        "/rq/0/data/jobs/shopworker/queued/8/asc/99999999999999999999.json",
        "/rq/0/data/jobs/shopworker/queued/0/asc/1.json",
        "/rq/0/view/jobs/shopworker/lost/8/asc/1",
    ],
    ids=[
        "an instance it does not have",
        "an instance beyond any integer",
        "a job id RQ refuses",
        "a NUL in a job id",
        "a page beyond Redis's integers",
        "pages of no jobs",
        "a registry it does not have",
    ],  # fmt: skip
)
def test_odd_values_in_the_queue_dashboards_addresses_are_a_400_not_a_500(app, path):
    web = app.test_client()
    log_in(web)
    assert web.get("/operator" + path).status_code == 400


def test_a_job_that_is_not_there_is_a_404_on_the_queue_dashboard(app):
    web = app.test_client()
    log_in(web)
    assert web.get("/operator/rq/0/view/job/no-such-job").status_code == 404
    assert web.get("/operator/rq/0/data/job/no-such-job.json").status_code == 404


def test_a_hostile_job_description_is_shown_as_text_by_rq_dashboard(app, redis):
    """A job queued before the receiver checked event ids (or by anything else) names the event in its
    description; rq-dashboard's pages put its JSON into HTML unescaped, so the JSON is escaped."""
    queue = Queue("shopworker", connection=redis, serializer=JobSerializer)
    job = queue.enqueue("worker.jobs.order_event", {"shop": "x"}, description=f"orders/create shop {HOSTILE}")
    web = app.test_client()
    log_in(web)

    single = web.get(f"/operator/rq/0/data/job/{job.id}.json").get_data(as_text=True)
    listed = web.get("/operator/rq/0/data/jobs/shopworker/queued/8/asc/1.json").get_data(as_text=True)

    for answer in (single, listed):
        assert "<img" not in answer
        assert "&lt;img src=x onerror=alert(document.cookie)&gt;" in answer

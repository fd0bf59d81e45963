"""rq-dashboard (queues, workers, failed jobs) mounted under the operator's login at /rq.

Its Jobs tab, with no queue named, would show RQ's "default" queue, which shopworker never uses: it opens on the
worker's own queue (QUEUE_NAME) instead, as the front page's list of queues does.

Its pages fill their HTML from its JSON with templates that do not escape (`<%= %>`), so a job's description (which
names the delivery's event id) or its error text could run as script: every string in its JSON answers is
HTML-escaped here before it leaves, and the text shows as written.

It takes whatever its routes match and fails with a 500 on an odd value (an instance it does not have, a job id RQ
refuses, a page beyond Redis's integers, an unknown registry); those addresses are answered 400 here, and a job
that is not there 404.

Its pages post with jQuery, sending the CSRF token from a `_csrf_token` cookie as X-CSRFToken; the cookie is set
here for its pages only. Its "requeue all" link also answers GET, which is refused so a link cannot trigger it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from flask import Flask, Response, abort, current_app, redirect, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from rq.exceptions import NoSuchJobError

from queueing.serializer import JobSerializer

PREFIX = "/rq"
CSRF_COOKIE = "_csrf_token"
REGISTRIES = frozenset({"queued", "failed", "deferred", "started", "finished", "scheduled", "canceled"})
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # the characters RQ accepts in a job id
PER_PAGE_MAX, PAGE_MAX = 1000, 1_000_000


def mount(app: Flask, redis_url: str, queue_name: str) -> None:
    import rq_dashboard
    from rq_dashboard.web import config, setup_rq_connection

    config.serializer = JobSerializer  # the serializer the receiver and the worker use
    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
    app.before_request(_no_state_change_by_get)
    app.before_request(_odd_values_refused)
    app.before_request(_open_on(queue_name))
    app.register_error_handler(NoSuchJobError, _no_such_job)
    app.after_request(_csrf_cookie)
    app.after_request(_escape_json)


def _no_state_change_by_get() -> None:
    if request.endpoint == "rq_dashboard.requeue_all" and request.method != "POST":
        abort(405)


def _odd_values_refused() -> None:
    """Runs before rq-dashboard's own hook, which would fail on an instance it does not have."""
    values = request.view_args or {}
    if request.blueprint != "rq_dashboard":
        return
    if values.get("instance_number", 0) != 0:
        abort(400, "the queue dashboard shows one Redis: instance 0")
    if "job_id" in values and not JOB_ID.fullmatch(values["job_id"]):
        abort(400, "a job id is 1-128 letters, digits, '_' or '-'")
    if values.get("registry_name", "queued") not in REGISTRIES:
        abort(400, f"the registry is one of {', '.join(sorted(REGISTRIES))}")
    if not 1 <= int(values.get("per_page", 1)) <= PER_PAGE_MAX or not 1 <= int(values.get("page", 1)) <= PAGE_MAX:
        abort(400, f"a page is 1-{PAGE_MAX}, of 1-{PER_PAGE_MAX} jobs")


def _no_such_job(error: NoSuchJobError) -> tuple[str, int]:
    return "no such job (a finished job is not kept: the event log holds its outcome)", 404


def _open_on(queue_name: str) -> Callable[[], Any]:
    def open_on_our_queue() -> Any:
        if request.endpoint != "rq_dashboard.jobs_overview" or (request.view_args or {}).get("queue_name"):
            return None
        return redirect(
            url_for(
                "rq_dashboard.jobs_overview",
                instance_number=0,
                queue_name=queue_name,
                registry_name="queued",
                per_page=8,
                order="asc",
                page=1,
            )
        )

    return open_on_our_queue


def _csrf_cookie(response: Response) -> Response:
    if request.blueprint == "rq_dashboard" and response.mimetype == "text/html":
        response.set_cookie(
            CSRF_COOKIE,
            generate_csrf(),
            path=request.script_root + PREFIX,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            samesite="Strict",
        )
    return response


def _escape_json(response: Response) -> Response:
    if request.blueprint == "rq_dashboard" and response.mimetype == "application/json":
        response.set_data(orjson.dumps(_escaped(orjson.loads(response.get_data()))))
    return response


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return str(escape(value))
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    return value

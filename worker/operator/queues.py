"""rq-dashboard (queues, workers, failed jobs) mounted under the operator's login at /rq.

Its pages fill their HTML from its JSON with templates that do not escape (`<%= %>`), so a job's description (which
names the delivery's event id) or its error text could run as script: every string in its JSON answers is
HTML-escaped here before it leaves, and the text shows as written.

Its pages post with jQuery, sending the CSRF token from a `_csrf_token` cookie as X-CSRFToken; the cookie is set
here for its pages only. Its "requeue all" link also answers GET, which is refused so a link cannot trigger it.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response, abort, current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from queueing.serializer import JobSerializer

PREFIX = "/rq"
CSRF_COOKIE = "_csrf_token"


def mount(app: Flask, redis_url: str) -> None:
    import rq_dashboard
    from rq_dashboard.web import config, setup_rq_connection

    config.serializer = JobSerializer  # the serializer the receiver and the worker use
    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)
    app.before_request(_no_state_change_by_get)
    app.after_request(_csrf_cookie)
    app.after_request(_escape_json)


def _no_state_change_by_get() -> None:
    if request.endpoint == "rq_dashboard.requeue_all" and request.method != "POST":
        abort(405)


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

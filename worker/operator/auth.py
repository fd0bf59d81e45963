"""One admin password from the environment; every other page, rq-dashboard's included, wants a login first.
Sessions live in Redis (worker/operator/sessions.py): the cookie only names one."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError

from worker.operator.sessions import OperatorSessions

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = frozenset({"auth.login", "static"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_require_login)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(RedisError, _redis_down)


def _sessions() -> OperatorSessions:
    return current_app.extensions["shopworker_sessions"]


def _require_login() -> Response | None:
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    try:
        if _sessions().is_open(session.get("sid")):
            return None
    except RedisError:
        # The sessions cannot be read: a signed cookie within its lifetime may still read the pages (a logout
        # during the outage is not known yet), never change anything.
        g.redis_down = True
        if session.get("sid") and request.method == "GET":
            return None
        raise
    session.clear()
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _redis_down(error: RedisError) -> tuple[str, int]:
    log.warning("operator page without Redis: %s", type(error).__name__, extra={"path": request.path})
    g.redis_down = True
    return render_template("operator/refused.html", reason="Redis cannot be reached, so this cannot be done now."), 503


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    log.warning("operator form refused: %s", error.description, extra={"path": request.path})
    return render_template("operator/refused.html", reason=error.description), 400


def local_target(target: str | None) -> str:
    """Only a path on this site is followed after login, never another host."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("views.dashboard")
    return request.script_root + target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("operator/login.html", failed=False)
    password = current_app.config["SHOPWORKER_SETTINGS"].operator_password
    client = request.remote_addr or "unknown"
    wait = _sessions().attempt(client)
    if wait:
        log.warning("operator login throttled", extra={"remote_addr": client})
        page = render_template("operator/login.html", failed=False, wait=wait)
        return page, 429, {"Retry-After": str(wait)}  # type: ignore[return-value]
    given = request.form.get("password", "")
    if not hmac.compare_digest(given.encode(), password.encode()):
        log.warning("operator login refused", extra={"remote_addr": client})
        return render_template("operator/login.html", failed=True), 401
    _sessions().succeeded(client)
    session.clear()
    session.permanent = True
    session["sid"] = _sessions().start()
    log.info("operator logged in", extra={"remote_addr": client})
    return redirect(local_target(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    _sessions().end(session.get("sid"))
    session.clear()
    return redirect(url_for("auth.login"))

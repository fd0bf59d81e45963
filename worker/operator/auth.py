"""One admin password from the environment; every other page, rq-dashboard's included, wants a login first."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)
OPEN_ENDPOINTS = frozenset({"auth.login", "static"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_require_login)
    app.register_error_handler(CSRFError, _csrf_refused)


def _require_login() -> Response | None:
    if request.endpoint in OPEN_ENDPOINTS or session.get("operator"):
        return None
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


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
    given = request.form.get("password", "")
    if not hmac.compare_digest(given.encode(), password.encode()):
        log.warning("operator login refused", extra={"remote_addr": request.remote_addr})
        return render_template("operator/login.html", failed=True), 401
    session.clear()
    session.permanent = True
    session["operator"] = True
    log.info("operator logged in", extra={"remote_addr": request.remote_addr})
    return redirect(local_target(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"))

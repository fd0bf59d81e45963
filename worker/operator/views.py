"""The operator's pages: read through the stores, change only through the worker's use cases (an override) or
by queueing a logged event again (a replay, as `shopworker events replay` does)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request
from werkzeug.routing import BaseConverter, Map

from queueing.topics import JOB_FOR_TOPIC
from worker.adapters.records import ExportRecord
from worker.adapters.returns_store import UnknownReturn
from worker.bootstrap import Services
from worker.operator import reads
from worker.operator.auth import local_target
from worker.services.events import PayloadPruned
from worker.services.events import replay as replay_event
from worker.services.privacy import hand_over_by
from worker.services.returns import override as override_return

log = logging.getLogger(__name__)

bp = Blueprint("views", __name__)

RETURN_STATUSES = (
    "awaiting_review",
    "auto_approved",
    "auto_declined",
    "overridden",
    "decided_in_shopify",
    "needs_details",
    "no_policy",
    "cannot_evaluate",
    "not_evaluated",
)
OVERRIDE_DECISIONS = ("approved", "declined", "partial")
EVENT_STATUSES = ("received", "processing", "processed", "stale", "failed")
PAGE_SIZE = 100
PERSONAL = {"Cache-Control": "no-store"}  # a customer's data stays out of every cache


def _services() -> Services:
    return current_app.extensions["shopworker_operator"]


TEXT_MAX_CHARS = 255  # the longest text column a filter is compared with
INT64_MAX = 2**63 - 1


def _checked_text(name: str, value: str) -> str:
    if "\x00" in value or len(value) > TEXT_MAX_CHARS:
        abort(400, f"{name} must be at most {TEXT_MAX_CHARS} characters, without NUL")
    return value


def _whole(name: str, digits: str, highest: int = INT64_MAX) -> int:
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19 or int(digits) > highest:
        abort(400, f"{name} must be a whole number from 0 to {highest}")
    return int(digits)


def _text(name: str) -> str | None:
    return _checked_text(name, request.args.get(name, "").strip()) or None


def _number(name: str) -> int | None:
    raw = _text(name)
    return None if raw is None else _whole(name, raw.lstrip("#"))


class WholeNumber(BaseConverter):
    """An id in the address. Flask's int converter answers 404 for one too long or not a number at all, as if the
    page were missing; this one answers 400 with what it takes."""

    def __init__(self, url_map: Map, highest: int = INT64_MAX) -> None:
        super().__init__(url_map)
        self.highest = highest

    def to_python(self, value: str) -> int:
        return _whole("the id in the address", value, self.highest)


class Text(BaseConverter):
    """A name in the address (a shop), held to what a filter takes."""

    def to_python(self, value: str) -> str:
        return _checked_text("the name in the address", value)


CONVERTERS = {"whole": WholeNumber, "text": Text}  # on the app's map before the blueprint's rules


@bp.app_template_filter("when")
def _when(moment: datetime | str | None) -> str:
    if isinstance(moment, str):  # an override's time, kept in its history as ISO-8601 text
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


@bp.route("/")
def dashboard() -> str:
    services = _services()
    return render_template("operator/dashboard.html", counts=reads.counts(services), shops=reads.shop_rows(services))


@bp.route("/late")
def late() -> str:
    services = _services()
    return render_template("operator/late.html", rows=reads.late_rows(services, reads.Orders(services)))


@bp.route("/returns")
def returns() -> str:
    services = _services()
    status, shop = _text("status"), _text("shop")
    records = services.returns.list_returns(shop, status, PAGE_SIZE)
    orders = reads.Orders(services)
    shown = [
        (record, orders.name(record.shop, record.order_id), reads.return_lines(record, orders)) for record in records
    ]
    return render_template(
        "operator/returns.html",
        shown=shown,
        status=status,
        shop=shop,
        statuses=RETURN_STATUSES,
        decisions=OVERRIDE_DECISIONS,
    )


@bp.route("/returns/<text:shop>/<whole:return_id>/override", methods=["POST"])
def override(shop: str, return_id: int) -> Response:
    decision = request.form.get("decision", "")
    by, why = request.form.get("by", "").strip(), request.form.get("why", "").strip()
    back = local_target(request.form.get("next")) + f"#return-{return_id}"
    if decision not in OVERRIDE_DECISIONS or not by or not why or "\x00" in by + why or len(by) > 255:
        flash("An override needs a decision (approved, declined or partial), who decides and why.", "error")
        return redirect(back)
    try:
        record = override_return(_services(), return_id, decision, by, why, shop)
    except UnknownReturn as error:
        abort(404, str(error))
    previous = record.overrides[-1]["old_decision"] or "none"
    log.info("return overridden", extra={"shop": shop, "return_id": return_id, "decision": decision, "by": by})
    flash(f"Return {return_id}: {previous} -> {decision} by {by}.", "done")
    return redirect(back)


@bp.route("/split")
def split() -> str:
    services = _services()
    shop, order_id = _text("shop"), _number("order")
    orders = reads.Orders(services)
    shown = [
        (plans[0].shop, orders.name(plans[0].shop, plans[0].order_id), list(reversed(plans)))
        for plans in reads.planned_orders(services, shop, order_id)
    ]
    titles = {key: orders.line_title(*key) for key in _plan_lines(shown)}
    return render_template("operator/split.html", shown=shown, shop=shop, order=order_id, titles=titles)


def _plan_lines(shown: list[Any]) -> set[tuple[str, int, int]]:
    keys = set()
    for shop, _name, plans in shown:
        for plan in plans:
            parts = (plan.plan or {}).get("shipments", []) + [{"lines": (plan.plan or {}).get("backorders", [])}]
            keys |= {(shop, plan.order_id, line["line_item_id"]) for part in parts for line in part["lines"]}
    return keys


@bp.route("/events")
def events() -> str:
    shop, topic, status, order_id = _text("shop"), _text("topic"), _text("status"), _number("order")
    found = _services().records.list_events(shop, topic, status, order_id, PAGE_SIZE)
    orders = reads.Orders(_services())
    shown = [(event, orders.name(event.shop, event.order_id)) for event in found]
    return render_template(
        "operator/events.html",
        shown=shown,
        filters={"shop": shop, "topic": topic, "status": status, "order": order_id},
        topics=sorted(JOB_FOR_TOPIC),
        statuses=EVENT_STATUSES,
    )


@bp.route("/events/<whole(highest=2147483647):event_id>/replay", methods=["POST"])
def replay(event_id: int) -> Response:
    """Queue the logged event again exactly as received; its handler is idempotent."""
    services = _services()
    logged = services.records.get_event(event_id)
    if logged is None:
        abort(404, f"no event with id {event_id}")
    try:
        queued = replay_event(services, logged)
    except PayloadPruned as error:
        flash(f"{str(error).capitalize()}, nothing queued.", "error")
        return redirect(local_target(request.form.get("next")))
    if not queued:
        flash(f"Event {event_id}: topic {logged.topic} is no longer handled, nothing queued.", "error")
    else:
        log.info("event replayed from the operator pages", extra={"event": event_id, "topic": logged.topic})
        flash(f"Event {event_id} ({logged.topic}) queued again.", "done")
    return redirect(local_target(request.form.get("next")))


@bp.route("/privacy")
def privacy() -> str:
    shop = _text("shop")
    shown = [
        (export, hand_over_by(export.requested_at)) for export in _services().records.list_exports(shop, PAGE_SIZE)
    ]
    return render_template("operator/privacy.html", shown=shown, shop=shop)


@bp.route("/privacy/exports/<whole(highest=2147483647):export_id>")
def data_export(export_id: int) -> Response:
    export = _export(export_id)
    page = render_template(
        "operator/export.html", export=export, due=hand_over_by(export.requested_at), document=_document(export)
    )
    return Response(page, headers=PERSONAL)


@bp.route("/privacy/exports/<whole(highest=2147483647):export_id>/download")
def download_export(export_id: int) -> Response:
    """The JSON to give the customer, as a file."""
    export = _export(export_id)
    attachment = {"Content-Disposition": f'attachment; filename="customer-data-export-{export_id}.json"'}
    return Response(_document(export), mimetype="application/json", headers={**PERSONAL, **attachment})


def _export(export_id: int) -> ExportRecord:
    export = _services().records.get_export(export_id)
    if export is None:
        abort(404, f"no data export with id {export_id}")
    return export


def _document(export: ExportRecord) -> str:
    return json.dumps(export.content, indent=2, ensure_ascii=False)

"""The operator's pages: read through the stores, change only through the worker's use cases (an override) or
by queueing a logged event again (a replay, as `shopworker events replay` does)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.routing import BaseConverter, Map

from queueing.topics import JOB_FOR_TOPIC
from worker.adapters.late_store import CaseClosed, UnknownCase
from worker.adapters.records import ExportRecord
from worker.adapters.returns_store import STAGE_RANK, UnknownReturn
from worker.bootstrap import Services
from worker.domain.late import CASE_RESOLUTIONS
from worker.domain.policy import FACT_VALUES
from worker.domain.returns import ReturnRequestError
from worker.operator import reads
from worker.operator.auth import local_target
from worker.operator.order import order_page
from worker.services.events import PayloadPruned
from worker.services.events import replay as replay_event
from worker.services.late_deliveries import CaseRefused, close_case
from worker.services.privacy import hand_over_by
from worker.services.return_refunds import RefundRefused, decide_refund, record_form
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
STAGES = tuple(STAGE_RANK)
ACTION_STATUSES = ("pending", "sent", "dry_run", "failed", "cancelled")
LATE_KINDS = ("case", "flag")
LATE_STATES = ("open", "settled")
PAGE_SIZE = 50
LAST_PAGE = 10_000
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


def _shop() -> str | None:
    return _text("shop")


def _day(name: str) -> date | None:
    raw = _text(name)
    try:
        return None if raw is None else date.fromisoformat(raw)
    except ValueError:
        abort(400, f"{name} must be a date written YYYY-MM-DD")


def _between() -> tuple[datetime | None, datetime | None]:
    """The `from` and `to` dates (UTC, both days included) as a span of instants; `to` the last day there is bounds
    nothing (the day after it cannot be written)."""
    start, end = _day("from"), _day("to")
    return (
        datetime.combine(start, datetime.min.time(), UTC) if start else None,
        datetime.combine(end, datetime.min.time(), UTC) + timedelta(days=1) if end and end < date.max else None,
    )


def _page() -> int:
    number = _number("page")
    if number is None:
        return 1
    if not 1 <= number <= LAST_PAGE:
        abort(400, f"page must be between 1 and {LAST_PAGE}")
    return number


@dataclass
class Pages:
    """One page of a list: read one row more than shown to know whether another page follows."""

    number: int
    rows: list[Any] = field(default_factory=list)
    more: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_SIZE

    def take(self, rows: list[Any]) -> list[Any]:
        self.rows, self.more = rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
        return self.rows


@dataclass(frozen=True)
class OrderFilter:
    """An order asked for by name (#1001) or id: the shop and id to filter on, or why nothing can match."""

    shop: str | None
    order_id: int | None
    asked: str | None = None
    matches: list[tuple[str, int]] = field(default_factory=list)

    @property
    def unmatched(self) -> bool:
        return self.asked is not None and self.order_id is None


def _order_filter(shop: str | None) -> OrderFilter:
    asked = _text("order")
    if asked is None or not asked.startswith("#"):
        return OrderFilter(shop, _number("order"))
    if len(asked) > 100:  # the records' order names are at most this long
        abort(400, "an order name is at most 100 characters")
    matches = _services().records.find_orders(asked, shop)
    if len(matches) == 1:
        return OrderFilter(matches[0][0], matches[0][1], asked, matches)
    return OrderFilter(shop, None, asked, matches)


@bp.app_template_filter("when")
def _when(moment: datetime | str | None, shop: str | None = None) -> str:
    """A moment in the shop's time zone (its store policy's), or in UTC where no shop is known."""
    if isinstance(moment, str):  # an override's time, kept in its history as ISO-8601 text
        moment = datetime.fromisoformat(moment)
    if not moment:
        return "-"
    zone = reads.zone(current_app.config["SHOPWORKER_SETTINGS"], shop) if shop else UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@bp.app_template_global()
def page_url(number: int) -> str:
    """This list, same filters, another page."""
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint or "views.dashboard", **(request.view_args or {}), **args)


def _confirmed() -> bool:
    """Forms that change what the worker did carry a confirmation box, so a stray click changes nothing."""
    return request.form.get("confirm") == "yes"


@bp.route("/")
def dashboard() -> str:
    services = _services()
    done, g.redis_down = reads.activity(services, g.get("redis_down", False))
    return render_template(
        "operator/dashboard.html",
        waiting=reads.waiting(services),
        done=done,
        dry=reads.dry_runs(services),
        shops=reads.shop_rows(services),
    )


@bp.route("/orders")
def orders() -> str | Response:
    """Find an order by its name (#1001) or id: straight to its page when one order answers."""
    shop = _shop()
    asked = _text("q")
    if asked is None:
        return render_template("operator/orders.html", asked=None, matches=[])
    records = _services().records
    if asked.startswith("#"):
        matches = records.find_orders(asked[:100], shop)
    elif asked.isascii() and asked.isdigit() and int(asked) <= INT64_MAX:
        order_id = int(asked)
        matches = [(held, order_id) for held in records.order_shops(order_id) if shop in (None, held)]
        if not matches and shop:
            matches = [(shop, order_id)]
    else:
        abort(400, "search for an order by its name (#1001) or its id")
    if len(matches) == 1:
        return redirect(url_for("views.order", shop=matches[0][0], order_id=matches[0][1]))
    names = reads.Orders(_services())
    shown = [(held, order_id, names.name(held, order_id)) for held, order_id in matches]
    return render_template("operator/orders.html", asked=asked, matches=shown)


@bp.route("/orders/<text:shop>/<whole:order_id>")
def order(shop: str, order_id: int) -> str:
    return render_template("operator/order.html", view=order_page(_services(), shop, order_id))


@bp.route("/late")
def late() -> str:
    services = _services()
    shop, store = _shop(), _text("store")
    kind, state = _text("kind"), _text("state") or "open"
    if kind not in (None, *LATE_KINDS) or state not in (*LATE_STATES, "any"):
        abort(400, f"kind is one of {', '.join(LATE_KINDS)}; state one of {', '.join(LATE_STATES)} or any")
    settings = services.settings
    stores = sorted({*settings.shop_policies.values(), *filter(None, [settings.default_policy])})
    shops = None if store is None else [s for s in services.late.shops() if settings.policy_for(s) == store]
    if shop is not None:
        shops = [shop] if shops is None or shop in shops else []
    pages = Pages(_page())
    found = services.late.records(
        shops=shops,
        kind=kind,
        open_only={"open": True, "settled": False}.get(state),
        since=_between(),
        limit=PAGE_SIZE + 1,
        offset=pages.offset,
    )
    rows = reads.late_rows(services, reads.Orders(services), pages.take(found))
    return render_template(
        "operator/late.html",
        rows=rows,
        pages=pages,
        filters={"shop": shop, "store": store, "kind": kind, "state": state},
        stores=stores,
        kinds=LATE_KINDS,
        states=LATE_STATES,
        resolutions=CASE_RESOLUTIONS,
    )


@bp.route("/late/cases/<whole(highest=2147483647):case_id>/close", methods=["POST"])
def close(case_id: int) -> Response:
    back = local_target(request.form.get("next")) + f"#case-{case_id}"
    form = request.form
    try:
        closed = close_case(_services(), case_id, form.get("resolution", ""), form.get("by", ""), form.get("why", ""))
    except CaseRefused as error:
        flash(f"Case {case_id} stays open: {error}.", "error")
        return redirect(back)
    except CaseClosed as error:
        flash(f"Case {case_id} stays as it was: {error}.", "error")
        return redirect(back)
    except UnknownCase as error:
        abort(404, str(error))
    flash(f"Case {case_id} closed as {closed.resolution} by {closed.closed_by}.", "done")
    return redirect(back)


@bp.route("/returns")
def returns() -> str:
    services = _services()
    status, stage, wanted = _text("status"), _text("stage"), _order_filter(_shop())
    pages = Pages(_page())
    records = []
    if not wanted.unmatched:
        records = services.returns.list_returns(
            wanted.shop,
            status,
            PAGE_SIZE + 1,
            wanted.order_id,
            offset=pages.offset,
            updated=_between(),
            stages=None if stage is None else [stage],
        )
    orders = reads.Orders(services)
    shown = [
        (
            record,
            orders.name(record.shop, record.order_id),
            reads.return_lines(record, orders),
            reads.inspection(services, record, orders),
        )
        for record in pages.take(records)
    ]
    return render_template(
        "operator/returns.html",
        shown=shown,
        pages=pages,
        status=status,
        stage=stage,
        stages=STAGES,
        wanted=wanted,
        statuses=RETURN_STATUSES,
        decisions=OVERRIDE_DECISIONS,
        facts={fact: sorted(values) for fact, values in FACT_VALUES.items()},
    )


@bp.route("/returns/<text:shop>/<whole:return_id>/inspect", methods=["POST"])
def inspect(shop: str, return_id: int) -> Response:
    """A person's findings on one returned line: what Shopify's disposition cannot say."""
    by = request.form.get("by", "").strip()
    back = local_target(request.form.get("next")) + f"#return-{return_id}"
    line = request.form.get("line", "")
    facts = {fact: request.form.get(fact, "").strip() or None for fact in FACT_VALUES}
    if not by or "\x00" in by or len(by) > 255 or not (line.isascii() and line.isdigit()) or not any(facts.values()):
        flash("An inspection needs the line, at least one finding, and who inspected it.", "error")
        return redirect(back)
    try:
        record = record_form(_services(), return_id, int(line), facts, by, shop)
    except UnknownReturn as error:
        abort(404, str(error))
    except ReturnRequestError as error:
        flash(f"Return {return_id}: {error}.", "error")
        return redirect(back)
    log.info("return inspected", extra={"shop": shop, "return_id": return_id, "by": by})
    outcome = (record.outcome or {}).get("outcome") or "none"
    flash(f"Return {return_id}: inspected by {by}; stage {record.stage or 'request'}, outcome {outcome}.", "done")
    return redirect(back)


@bp.route("/returns/<text:shop>/<whole:return_id>/refund", methods=["POST"])
def refund(shop: str, return_id: int) -> Response:
    """A person confirms the refund proposed, or changes its amounts; it is then sent to Shopify once."""
    by, why = request.form.get("by", "").strip(), request.form.get("why", "").strip()
    back = local_target(request.form.get("next")) + f"#return-{return_id}"
    if not by or not why or "\x00" in by + why or len(by) > 255:
        flash("A refund needs who decides and why.", "error")
        return redirect(back)
    amounts = {name: request.form.get(name, "").strip() or None for name in ("to_payment", "store_credit")}
    try:
        record = decide_refund(_services(), return_id, by, why, shop, amounts["to_payment"], amounts["store_credit"])
    except UnknownReturn as error:
        abort(404, str(error))
    except RefundRefused as error:
        flash(f"{str(error).capitalize()}.", "error")
        return redirect(back)
    plan = (record.proposal or {}).get("plan") or {}
    log.info("return refund decided", extra={"shop": shop, "return_id": return_id, "by": by})
    flash(f"Return {return_id}: refund of {plan.get('total')} {plan.get('currency')} sent by {by}.", "done")
    return redirect(back)


@bp.route("/returns/<text:shop>/<whole:return_id>/override", methods=["POST"])
def override(shop: str, return_id: int) -> Response:
    decision = request.form.get("decision", "")
    by, why = request.form.get("by", "").strip(), request.form.get("why", "").strip()
    back = local_target(request.form.get("next")) + f"#return-{return_id}"
    if not _confirmed():
        flash(f"Return {return_id} unchanged: tick the box to confirm an override.", "error")
        return redirect(back)
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
    wanted = _order_filter(_shop())
    orders = reads.Orders(services)
    pages = Pages(_page())
    planned = []
    if not wanted.unmatched:
        span = _between()
        planned = reads.planned_orders(services, wanted.shop, wanted.order_id, span, pages.offset, PAGE_SIZE + 1)
    shown = [
        (plans[0].shop, orders.name(plans[0].shop, plans[0].order_id), list(reversed(plans)))
        for plans in pages.take(planned)
    ]
    titles = {key: orders.line_title(*key) for shop, _name, plans in shown for key in reads.plan_lines(shop, plans)}
    return render_template("operator/split.html", shown=shown, wanted=wanted, titles=titles, pages=pages)


@bp.route("/events")
def events() -> str:
    topic, status, wanted = _text("topic"), _text("status"), _order_filter(_shop())
    pages = Pages(_page())
    found = []
    if not wanted.unmatched:
        found = _services().records.list_events(
            wanted.shop, topic, status, wanted.order_id, PAGE_SIZE + 1, pages.offset, _between()
        )
    orders = reads.Orders(_services())
    shown = [(event, orders.name(event.shop, event.order_id)) for event in pages.take(found)]
    return render_template(
        "operator/events.html",
        shown=shown,
        pages=pages,
        wanted=wanted,
        filters={"topic": topic, "status": status},
        topics=sorted(JOB_FOR_TOPIC),
        statuses=EVENT_STATUSES,
    )


@bp.route("/actions")
def actions() -> str:
    """The outbox: what the worker asked Shopify to do, and what became of it."""
    shop, status = _shop(), _text("status")
    if status not in (None, *ACTION_STATUSES):
        abort(400, f"status is one of {', '.join(ACTION_STATUSES)}")
    pages = Pages(_page())
    found = _services().outbox.list(shop, status, PAGE_SIZE + 1, pages.offset, _between())
    orders, shown = reads.Orders(_services()), []
    for action in pages.take(found):
        order_id = reads.order_of(action.target)
        shown.append((action, order_id, orders.name(action.shop, order_id)))
    return render_template(
        "operator/actions.html",
        shown=shown,
        pages=pages,
        filters={"shop": shop, "status": status},
        statuses=ACTION_STATUSES,
    )


@bp.route("/events/<whole(highest=2147483647):event_id>/replay", methods=["POST"])
def replay(event_id: int) -> Response:
    """Queue the logged event again exactly as received; its handler is idempotent."""
    if not _confirmed():
        flash(f"Event {event_id} not queued: tick the box to confirm a replay.", "error")
        return redirect(local_target(request.form.get("next")))
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
    shop, pages = _text("shop"), Pages(_page())
    found = _services().records.list_exports(shop, PAGE_SIZE + 1, pages.offset, _between())
    shown = [(export, hand_over_by(export.requested_at)) for export in pages.take(found)]
    return render_template("operator/privacy.html", shown=shown, shop=shop, pages=pages)


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

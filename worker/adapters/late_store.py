"""Late deliveries in the records: which shipments are in transit, their flags and cases, and the Shopify
actions written with them. All the area's SQL is here; the decisions are made by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from worker.adapters.db import Database, Span, within
from worker.adapters.outbox import add_actions
from worker.adapters.tables import fulfillments, orders
from worker.adapters.tables.late import late_cases, late_flags
from worker.domain.actions import PlannedAction
from worker.domain.late import Shipment, tracking_text

# Fulfillments in these states never travel, so they have no clock.
NOT_SHIPPED = ("cancelled", "error", "failure")


@dataclass(frozen=True)
class OpenRecord:
    """An open flag or case, as `late report` shows it."""

    shop: str
    order_id: int
    fulfillment_id: int
    state: str
    reason: str
    since: datetime
    elapsed_days: int
    day_kind: str


@dataclass(frozen=True)
class LateRecord:
    """A flag or a case, open or not, with its shipment: what the operator pages show and act on."""

    kind: str  # flag or case
    id: int
    shop: str
    order_id: int
    fulfillment_id: int
    status: str  # open; resolved (a flag) or closed (a case)
    reason: str
    since: datetime  # when it was recorded
    elapsed_days: int  # when it was recorded
    threshold: int | None
    day_kind: str
    resolution: str | None
    ended_at: datetime | None  # a flag resolved, a case closed
    closed_by: str | None
    close_reason: str | None
    note: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None  # the shipment's delivery, or the arrival noted on the case
    tracking: str | None


class UnknownCase(LookupError):
    """No late case with that id."""


class CaseClosed(ValueError):
    """The case was closed before; a closed case stays as it was closed."""


_flag, _case = late_flags.alias("flag"), late_cases.alias("case")


def _shipments() -> Select[Any]:
    flag, case, f = _flag, _case, fulfillments
    return (
        select(
            f.c.shop,
            f.c.order_id,
            f.c.id,
            f.c.shipped_at,
            f.c.delivered_at,
            f.c.shipment_status,
            f.c.tracking_company,
            f.c.tracking_numbers,
            orders.c.payload["note"].as_string().label("order_note"),
            flag.c.flagged_at,
            case.c.opened_at.label("case_opened_at"),
        )
        .select_from(
            f.outerjoin(flag, and_(flag.c.shop == f.c.shop, flag.c.fulfillment_id == f.c.id))
            .outerjoin(case, and_(case.c.shop == f.c.shop, case.c.fulfillment_id == f.c.id))
            .outerjoin(orders, and_(orders.c.shop == f.c.shop, orders.c.id == f.c.order_id))
        )
        .where(f.c.shipped_at.is_not(None), or_(f.c.status.is_(None), f.c.status.not_in(NOT_SHIPPED)))
    )


def _shipment(row: Any) -> Shipment:
    tracking = tracking_text(row.tracking_company, row.tracking_numbers)
    return Shipment(
        shop=row.shop,
        order_id=row.order_id,
        fulfillment_id=row.id,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        shipment_status=row.shipment_status,
        tracking=tracking,
        order_note=row.order_note,
        flagged_at=row.flagged_at,
        case_opened_at=row.case_opened_at,
    )


class LateStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def holding(self, shop: str) -> AbstractContextManager[None]:
        """One unit of work on the shop's shipments (a check, a page of the sweep): read and written in one
        transaction that holds the shop against a redaction (Database.shop_job)."""
        return self.db.shop_job(shop)

    # Reading shipments ---------------------------------------------------------------------------------------

    def shipment(self, shop: str, fulfillment_id: int) -> Shipment | None:
        """The fulfillment as a shipment, or None while it is unknown or has no shipping time yet."""
        query = _shipments().where(fulfillments.c.shop == shop, fulfillments.c.id == fulfillment_id)
        with self.db.connect() as connection:
            row = connection.execute(query).first()
        return _shipment(row) if row else None

    def shops_in_transit(self) -> list[str]:
        query = (
            _shipments()
            .with_only_columns(fulfillments.c.shop)
            .where(fulfillments.c.delivered_at.is_(None))
            .distinct()
            .order_by(fulfillments.c.shop)
        )
        with self.db.connect() as connection:
            return list(connection.execute(query).scalars())

    def count_in_transit(self, shops: Iterable[str]) -> int:
        query = (
            _shipments()
            .with_only_columns(func.count())
            .where(fulfillments.c.shop.in_(list(shops)), fulfillments.c.delivered_at.is_(None))
        )
        with self.db.connect() as connection:
            return connection.execute(query).scalar_one()

    def in_transit(self, shop: str, after: int, limit: int) -> list[Shipment]:
        """The shop's undelivered shipments after fulfillment id `after`, in id order: one page of a full read."""
        query = (
            _shipments()
            .where(fulfillments.c.shop == shop, fulfillments.c.delivered_at.is_(None), fulfillments.c.id > after)
            .order_by(fulfillments.c.id)
            .limit(limit)
        )
        with self.db.connect() as connection:
            return [_shipment(row) for row in connection.execute(query)]

    def overdue(
        self, shop: str, late_cutoff: datetime, escalate_cutoff: datetime | None, after: int, limit: int
    ) -> list[Shipment]:
        """One page of the sweep's candidates: undelivered, no case yet, and either shipped before the late
        cutoff and not yet flagged, or shipped before the escalation cutoff, or reported failed by the carrier.
        Everything else is left in the database."""
        shipped_at = fulfillments.c.shipped_at
        escalation_due = false() if escalate_cutoff is None else shipped_at < escalate_cutoff
        query = (
            _shipments()
            .where(
                fulfillments.c.shop == shop,
                fulfillments.c.delivered_at.is_(None),
                fulfillments.c.id > after,
                _case.c.id.is_(None),
                or_(
                    and_(shipped_at < late_cutoff, or_(_flag.c.id.is_(None), escalation_due)),
                    fulfillments.c.shipment_status == "failure",
                ),
            )
            .order_by(fulfillments.c.id)
            .limit(limit)
        )
        with self.db.connect() as connection:
            return [_shipment(row) for row in connection.execute(query)]

    # Writing flags, cases and their actions ------------------------------------------------------------------

    def write(
        self,
        flags: Sequence[Mapping[str, Any]],
        cases: Sequence[Mapping[str, Any]],
        actions: Sequence[PlannedAction],
        now: datetime,
    ) -> list[int]:
        """Flags, cases and their outbox actions in one transaction; anything already recorded stays as it was.
        Returns the ids of the actions written now, for the caller to dispatch after the commit."""
        with self.db.begin() as connection:
            _insert_new(connection, late_flags, flags, ["shop", "fulfillment_id"])
            _insert_new(connection, late_cases, cases, ["shop", "fulfillment_id"])
            return add_actions(connection, actions, now).new

    def settle_delivery(self, shop: str, fulfillment_id: int, delivered_at: datetime, note: str) -> tuple[int, int]:
        """A delivery resolves the shipment's open flag and notes the arrival on its open case, which stays open
        for the merchant to close. Returns (flags resolved, cases noted); a repeat changes nothing."""
        flag_key = and_(late_flags.c.shop == shop, late_flags.c.fulfillment_id == fulfillment_id)
        case_key = and_(late_cases.c.shop == shop, late_cases.c.fulfillment_id == fulfillment_id)
        with self.db.begin() as connection:
            resolved = connection.execute(
                update(late_flags)
                .where(flag_key, late_flags.c.status == "open")
                .values(status="resolved", resolved_at=delivered_at, resolution="delivered")
            ).rowcount
            noted = connection.execute(
                update(late_cases)
                .where(case_key, late_cases.c.status == "open", late_cases.c.arrived_at.is_(None))
                .values(arrived_at=delivered_at, note=note)
            ).rowcount
        return resolved, noted

    def close_case(self, case_id: int, resolution: str, by: str, why: str, now: datetime) -> LateRecord:
        """A person closes an open case: how (a CASE_RESOLUTIONS value), who and why, kept on the case."""
        with self.db.begin() as connection:
            closed = connection.execute(
                update(late_cases)
                .where(late_cases.c.id == case_id, late_cases.c.status == "open")
                .values(status="closed", resolution=resolution, closed_at=now, closed_by=by, close_reason=why)
            ).rowcount
            (found,) = _late_rows(connection, late_cases, [late_cases.c.id == case_id], 1) or [None]
        if found is None:
            raise UnknownCase(f"no late case with id {case_id}")
        if not closed:
            raise CaseClosed(f"case {case_id} was already closed ({found.resolution} by {found.closed_by})")
        return found

    def shops(self) -> list[str]:
        """Every shop with a flag or a case."""
        query = select(late_flags.c.shop).union(select(late_cases.c.shop))
        with self.db.connect() as connection:
            return sorted(connection.execute(query).scalars())

    def records(
        self,
        shops: Iterable[str] | None = None,
        order: tuple[str, int] | None = None,
        kind: str | None = None,
        open_only: bool | None = None,
        since: Span = (None, None),
        limit: int = 100,
        offset: int = 0,
    ) -> list[LateRecord]:
        """Flags and cases, open cases first, then open flags, then what is settled, oldest first within each;
        `open_only` False gives only the settled ones, `since` bounds when they were recorded."""
        found: list[LateRecord] = []
        with self.db.connect() as connection:
            for name, table in (("case", late_cases), ("flag", late_flags)):
                if kind not in (None, name):
                    continue
                where = []
                if shops is not None:
                    where.append(table.c.shop.in_(list(shops)))
                if order is not None:
                    where += [table.c.shop == order[0], table.c.order_id == order[1]]
                if open_only is not None:
                    where.append((table.c.status == "open") if open_only else (table.c.status != "open"))
                where += within(_recorded(table), since)
                found += _late_rows(connection, table, where, offset + limit)
        found.sort(key=lambda r: (r.status != "open", r.kind != "case", r.since, r.id))
        return found[offset : offset + limit]

    # Reading flags and cases ---------------------------------------------------------------------------------

    def open_records(self, shops: Iterable[str] | None = None) -> list[OpenRecord]:
        """Open flags and cases, by shop, order and fulfillment; a shipment with both appears twice."""
        found: list[OpenRecord] = []
        with self.db.connect() as connection:
            for table, since in ((late_flags, late_flags.c.flagged_at), (late_cases, late_cases.c.opened_at)):
                query = select(table, since.label("since")).where(table.c.status == "open")
                if shops is not None:
                    query = query.where(table.c.shop.in_(list(shops)))
                found += [
                    OpenRecord(
                        r.shop, r.order_id, r.fulfillment_id, r.state, r.reason, r.since, r.elapsed_days, r.day_kind
                    )
                    for r in connection.execute(query)
                ]
        return sorted(found, key=lambda r: (r.shop, r.order_id, r.fulfillment_id, r.since))


def _insert_new(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], keys: list[str]) -> list[int]:
    """Insert the rows whose key is new, leave the others as stored, and return the new rows' ids.

    One statement executed for many rows: compiled once and sent a page of rows per round trip, where a
    statement rendered with every row's values (as `worker.adapters.db.upsert` does) costs more to build
    than the database spends on a sweep's thousands of rows."""
    if not rows:
        return []
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=keys).returning(table.c.id)
    return list(connection.execute(statement, list(rows)).scalars())


def _recorded(table: Table) -> Any:
    return table.c.opened_at if table is late_cases else table.c.flagged_at


def _late_rows(connection: Connection, table: Table, where: list[Any], limit: int) -> list[LateRecord]:
    """One table's records with their shipments, open first, then oldest first."""
    is_case, f, recorded = table is late_cases, fulfillments, _recorded(table)
    ended = table.c.closed_at if is_case else table.c.resolved_at
    query = (
        select(
            table,
            recorded.label("since"),
            ended.label("ended_at"),
            f.c.shipped_at,
            f.c.delivered_at.label("shipment_delivered_at"),
            f.c.tracking_company,
            f.c.tracking_numbers,
        )
        .select_from(table.outerjoin(f, and_(f.c.shop == table.c.shop, f.c.id == table.c.fulfillment_id)))
        .where(*where)
        .order_by(table.c.status != "open", recorded, table.c.id)
        .limit(limit)
    )
    rows = []
    for r in connection.execute(query):
        rows.append(
            LateRecord(
                kind="case" if is_case else "flag",
                id=r.id,
                shop=r.shop,
                order_id=r.order_id,
                fulfillment_id=r.fulfillment_id,
                status=r.status,
                reason=r.reason,
                since=r.since,
                elapsed_days=r.elapsed_days,
                threshold=r.threshold,
                day_kind=r.day_kind,
                resolution=r.resolution,
                ended_at=r.ended_at,
                closed_by=r.closed_by if is_case else None,
                close_reason=r.close_reason if is_case else None,
                note=r.note if is_case else None,
                shipped_at=r.shipped_at,
                delivered_at=r.shipment_delivered_at or (r.arrived_at if is_case else None),
                tracking=tracking_text(r.tracking_company, r.tracking_numbers),
            )
        )
    return rows

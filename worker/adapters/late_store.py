"""Late deliveries in the records: which shipments are in transit, their flags and cases, and the Shopify
actions written with them. All the area's SQL is here; the decisions are made by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, Table, and_, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from worker.adapters.outbox import add_actions
from worker.adapters.tables import fulfillments, orders
from worker.adapters.tables.late import late_cases, late_flags
from worker.domain.actions import PlannedAction
from worker.domain.late import Shipment

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
    numbers = ", ".join(str(n) for n in row.tracking_numbers or [])
    tracking = " ".join(part for part in (row.tracking_company, numbers) if part) or None
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
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # Reading shipments ---------------------------------------------------------------------------------------

    def shipment(self, shop: str, fulfillment_id: int) -> Shipment | None:
        """The fulfillment as a shipment, or None while it is unknown or has no shipping time yet."""
        query = _shipments().where(fulfillments.c.shop == shop, fulfillments.c.id == fulfillment_id)
        with self.engine.connect() as connection:
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
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def count_in_transit(self, shops: Iterable[str]) -> int:
        query = (
            _shipments()
            .with_only_columns(func.count())
            .where(fulfillments.c.shop.in_(list(shops)), fulfillments.c.delivered_at.is_(None))
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one()

    def in_transit(self, shop: str, after: int, limit: int) -> list[Shipment]:
        """The shop's undelivered shipments after fulfillment id `after`, in id order: one page of a full read."""
        query = (
            _shipments()
            .where(fulfillments.c.shop == shop, fulfillments.c.delivered_at.is_(None), fulfillments.c.id > after)
            .order_by(fulfillments.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
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
        with self.engine.connect() as connection:
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
        with self.engine.begin() as connection:
            _insert_new(connection, late_flags, flags, ["shop", "fulfillment_id"])
            _insert_new(connection, late_cases, cases, ["shop", "fulfillment_id"])
            return add_actions(connection, actions, now).new

    def settle_delivery(self, shop: str, fulfillment_id: int, delivered_at: datetime, note: str) -> tuple[int, int]:
        """A delivery resolves the shipment's open flag and notes the arrival on its open case, which stays open
        for the merchant to close. Returns (flags resolved, cases noted); a repeat changes nothing."""
        flag_key = and_(late_flags.c.shop == shop, late_flags.c.fulfillment_id == fulfillment_id)
        case_key = and_(late_cases.c.shop == shop, late_cases.c.fulfillment_id == fulfillment_id)
        with self.engine.begin() as connection:
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

    # Reading flags and cases ---------------------------------------------------------------------------------

    def open_records(self, shops: Iterable[str] | None = None) -> list[OpenRecord]:
        """Open flags and cases, by shop, order and fulfillment; a shipment with both appears twice."""
        found: list[OpenRecord] = []
        with self.engine.connect() as connection:
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

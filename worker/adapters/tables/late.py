"""Late deliveries: a flag when a shipment passes its store's first threshold, a case when it passes the second
(or the carrier reports a failure). One of each per shipment at most; both keep the clock that judged them."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Integer, String, Table, Text, UniqueConstraint

from worker.adapters.tables import UTCDateTime, metadata
from worker.domain.late import CASE_RESOLUTIONS

late_flags = Table(
    "late_flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("fulfillment_id", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("flagged_at", UTCDateTime, nullable=False),
    Column("elapsed_days", Integer, nullable=False),
    Column("threshold", Integer, nullable=False),
    Column("day_kind", String(20), nullable=False),
    Column("calendar", String(40), nullable=False),
    Column("calendar_version", String(60), nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolution", String(40)),
    UniqueConstraint("shop", "fulfillment_id", name="uq_late_flags_shipment"),
    CheckConstraint("status IN ('open', 'resolved')", name="ck_late_flags_status"),
)

late_cases = Table(
    "late_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("fulfillment_id", BigInteger, nullable=False),
    Column("state", String(20), nullable=False),
    Column("reason", String(255), nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("elapsed_days", Integer, nullable=False),
    Column("threshold", Integer),
    Column("day_kind", String(20), nullable=False),
    Column("calendar", String(40), nullable=False),
    Column("calendar_version", String(60), nullable=False),
    Column("resolution", String(20)),
    Column("arrived_at", UTCDateTime),
    Column("note", Text),
    Column("closed_at", UTCDateTime),
    Column("closed_by", String(255)),  # the person who closed the case, as they named themselves
    Column("close_reason", Text),
    UniqueConstraint("shop", "fulfillment_id", name="uq_late_cases_shipment"),
    CheckConstraint("status IN ('open', 'closed')", name="ck_late_cases_status"),
    CheckConstraint(f"resolution IS NULL OR resolution IN {CASE_RESOLUTIONS!r}", name="ck_late_cases_resolution"),
)

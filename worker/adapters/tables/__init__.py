"""The records schema: this package names every table (one module per area); Alembic migrations mirror it."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere (SQLite keeps no zone), handed back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


Document: Any = JSON().with_variant(JSONB(), "postgresql")
# A webhook as received, kept whole: written once per event and read back whole (a replay, an export), never searched,
# so PostgreSQL keeps it as JSON text, which it only checks, rather than JSONB, which it takes apart (migration 0005).
Payload: Any = JSON()
metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False, index=True),
    Column("topic", String(100), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("webhook_id", String(255)),
    Column("order_id", BigInteger, index=True),
    Column("triggered_at", UTCDateTime),
    Column("api_version", String(20)),
    Column("received_at", UTCDateTime, nullable=False),
    Column("source", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("processed_at", UTCDateTime),
    Column("payload", Payload),  # None once pruned (EVENT_RETENTION_DAYS after it was processed)
    UniqueConstraint("shop", "topic", "event_id", name="uq_events_delivery"),
)
# The events whose payload is still held, by when they were processed: what the prune looks for, and an index that
# holds only the retention window, not the whole log.
Index(
    "ix_events_payload_held",
    events.c.processed_at,
    postgresql_where=events.c.payload.isnot(None),
    sqlite_where=events.c.payload.isnot(None),
)

orders = Table(
    "orders",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("name", String(100)),
    Column("customer_id", BigInteger, index=True),
    Column("email", String(255)),
    Column("currency", String(3)),
    Column("total_price", String(32)),
    Column("financial_status", String(40)),
    Column("fulfillment_status", String(40)),
    Column("cancelled_at", UTCDateTime),
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("payload", Payload, nullable=False),
)

line_items = Table(
    "line_items",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("product_id", BigInteger),
    Column("variant_id", BigInteger),
    Column("title", String(255)),
    Column("sku", String(255)),
    Column("quantity", Integer, nullable=False),
    Column("current_quantity", Integer),
    Column("price", String(32)),
    Column("requires_shipping", Integer),
)

fulfillments = Table(
    "fulfillments",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("order_id", BigInteger, nullable=False, index=True),
    Column("location_id", BigInteger),
    Column("status", String(40)),
    Column("shipment_status", String(40)),
    Column("shipment_status_at", UTCDateTime),
    Column("tracking_company", String(255)),
    Column("tracking_numbers", Document),
    Column("tracking_urls", Document),
    Column("shipped_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
    Column("line_items", Document),
)

data_exports = Table(
    "data_exports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False, index=True),
    Column("customer_id", BigInteger, nullable=False),
    Column("data_request_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),  # when written (again, by a replay)
    Column("requested_at", UTCDateTime, nullable=False),  # when the customer asked: Shopify's 30 days count from it
    Column("order_count", Integer, nullable=False),
    Column("content", Document, nullable=False),
    UniqueConstraint("shop", "customer_id", "data_request_id", name="uq_data_exports_request"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False, index=True),
    Column("action", String(60), nullable=False),
    Column("target", String(255), nullable=False),
    Column("params", Document, nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("result", Document),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
)

# Each area's tables live in a module of this package; importing them here puts them all on `metadata`.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

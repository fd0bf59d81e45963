"""What the privacy requests leave behind on purpose: a tombstone per redacted shop and customer, checked before an
event is processed so that no retry, replay or reconciliation writes the data back, and an audit row per
destructive request with what it removed. None of it holds personal data, and `shop/redact` keeps all of it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table

from worker.adapters.tables import Document, UTCDateTime, metadata

KEPT_BY_SHOP_REDACT = "kept_by_shop_redact"  # set in the Table.info of the tables `shop/redact` leaves in place
KEPT = {KEPT_BY_SHOP_REDACT: True}

redacted_shops = Table(
    "redacted_shops",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("redacted_at", UTCDateTime, nullable=False),  # events of the shop from before it are not processed
    info=KEPT,
)

redacted_customers = Table(
    "redacted_customers",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("customer_id", BigInteger, primary_key=True),
    Column("redacted_at", UTCDateTime, nullable=False),
    info=KEPT,
)

# The orders of the redacted customers, found by their id, their contact or Shopify's `orders_to_redact`.
redacted_orders = Table(
    "redacted_orders",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("order_id", BigInteger, primary_key=True),
    Column("customer_id", BigInteger, nullable=False),
    info=KEPT,
)

# One row per run of `shop/redact`, `customers/redact` or `app/uninstalled`: what it removed, counted by place.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False, index=True),
    Column("topic", String(100), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("done_at", UTCDateTime, nullable=False),
    Column("counts", Document, nullable=False),  # {"orders": 2, "events": 5, "jobs": 3, ...}
    info=KEPT,
)

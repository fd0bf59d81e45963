"""The split planner's records: each plan decided for an order, and which order a fulfillment order belongs to."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from worker.adapters.tables import Document, UTCDateTime, metadata

# One row per decision for an order, numbered in `sequence`; the highest is the order's current plan.
# status: planned (its actions are in the outbox), skipped (nothing could be planned, see `reason`),
# superseded (a later plan replaced it), cancelled (the order was cancelled).
split_plans = Table(
    "split_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("shop", String(255), nullable=False),
    Column("order_id", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("trigger", String(100), nullable=False),
    Column("plan_hash", String(64)),
    Column("plan", Document),
    Column("reason", Text),
    Column("apply_action_id", Integer),
    Column("note_action_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shop", "order_id", "sequence", name="uq_split_plans_sequence"),
    Index("ix_split_plans_order", "shop", "order_id"),
)

# Fulfillment orders seen while planning, so a webhook that names only a fulfillment order finds its order.
split_fulfillment_orders = Table(
    "split_fulfillment_orders",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("fulfillment_order_id", BigInteger, primary_key=True),
    Column("order_id", BigInteger, nullable=False),
)

"""Reconciliation checkpoints: how far each shop's pass over Shopify's changes has come, so a run that stops
(a crash, a timeout, Shopify unreachable) is resumed by the next one instead of started over."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text

from worker.adapters.tables import UTCDateTime, metadata

reconcile_checkpoints = Table(
    "reconcile_checkpoints",
    metadata,
    Column("shop", String(255), primary_key=True),
    Column("resource", String(40), primary_key=True),
    Column("since", UTCDateTime, nullable=False),  # the pass lists what changed after this moment
    Column("cursor", Text),  # Shopify's cursor after the last page done; none between passes
    Column("seen_until", UTCDateTime),  # the latest change the pass has listed so far
    Column("updated_at", UTCDateTime, nullable=False),
)

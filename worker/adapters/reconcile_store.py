"""Reconciliation's SQL: its checkpoints, and the versions of what the records already hold, read a page at a time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from worker.adapters.db import Database, upsert
from worker.adapters.tables import fulfillments, orders
from worker.adapters.tables.reconcile import reconcile_checkpoints
from worker.adapters.tables.returns import returns


@dataclass(frozen=True)
class Checkpoint:
    """Where a pass stands: it lists what changed after `since`; `cursor` is set while it is under way."""

    shop: str
    resource: str
    since: datetime
    cursor: str | None = None
    seen_until: datetime | None = None


class ReconcileStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def checkpoint(self, shop: str, resource: str) -> Checkpoint | None:
        query = select(reconcile_checkpoints).where(
            reconcile_checkpoints.c.shop == shop, reconcile_checkpoints.c.resource == resource
        )
        with self.db.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return Checkpoint(row.shop, row.resource, row.since, row.cursor, row.seen_until)

    def save(self, checkpoint: Checkpoint, now: datetime) -> None:
        row = {
            "shop": checkpoint.shop,
            "resource": checkpoint.resource,
            "since": checkpoint.since,
            "cursor": checkpoint.cursor,
            "seen_until": checkpoint.seen_until,
            "updated_at": now,
        }
        with self.db.begin() as connection:
            upsert(connection, reconcile_checkpoints, [row], ["shop", "resource"])

    def order_versions(self, shop: str, order_ids: Iterable[int]) -> dict[int, datetime]:
        """The updated_at of each order the records hold, among those asked about."""
        query = select(orders.c.id, orders.c.updated_at).where(orders.c.shop == shop, orders.c.id.in_(list(order_ids)))
        with self.db.connect() as connection:
            return {row.id: row.updated_at for row in connection.execute(query)}

    def fulfillment_versions(self, shop: str, fulfillment_ids: Iterable[int]) -> dict[int, datetime | None]:
        """None for a fulfillment known only from a carrier event, never recorded itself."""
        query = select(fulfillments.c.id, fulfillments.c.updated_at).where(
            fulfillments.c.shop == shop, fulfillments.c.id.in_(list(fulfillment_ids))
        )
        with self.db.connect() as connection:
            return {row.id: row.updated_at for row in connection.execute(query)}

    def return_statuses(self, shop: str, return_ids: Iterable[int]) -> dict[int, str | None]:
        """Shopify's status of each return as last recorded."""
        query = select(returns.c.return_id, returns.c.shopify_status).where(
            returns.c.shop == shop, returns.c.return_id.in_(list(return_ids))
        )
        with self.db.connect() as connection:
            return {row.return_id: row.shopify_status for row in connection.execute(query)}

"""The outbox: actions toward Shopify are written in the same transaction as the decision that causes them,
then performed by a separate job, once, whatever retries happen on either side."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from worker.adapters.db import upsert
from worker.adapters.shopify import ShopifyPort
from worker.adapters.tables import outbox
from worker.split_execution import apply_split_plan

DONE = frozenset({"sent", "dry_run", "failed", "cancelled"})

Perform = Callable[[ShopifyPort, str, dict[str, Any]], Any]

# What each action does in Shopify; `target` is the gid the mutation acts on.
ACTIONS: dict[str, Perform] = {
    "approve_return": lambda shopify, target, params: shopify.approve_return(target),
    "decline_return": lambda shopify, target, params: shopify.decline_return(
        target, params["reason"], params.get("note")
    ),
    "add_tags": lambda shopify, target, params: shopify.add_tags(target, params["tags"]),
    "set_order_note": lambda shopify, target, params: shopify.set_order_note(target, params["note"]),
    "apply_split_plan": apply_split_plan,
}


@dataclass(frozen=True)
class Action:
    id: int
    shop: str
    action: str
    target: str
    params: dict[str, Any]
    key: str
    status: str
    attempts: int
    last_error: str | None


def add_action(
    connection: Connection, shop: str, action: str, target: str, params: dict[str, Any], key: str, now: datetime
) -> int:
    """Record an intended action inside the caller's transaction; the same key twice is the same action.
    Returns the action's id, new or existing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown outbox action {action!r}")
    row = {
        "shop": shop,
        "action": action,
        "target": target,
        "params": params,
        "key": key,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
    }
    upsert(connection, outbox, [row], ["key"], update=[])
    return connection.execute(select(outbox.c.id).where(outbox.c.key == key)).scalar_one()


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, action_id: int) -> Action | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(outbox).where(outbox.c.id == action_id)).first()
        return Action(**{f: getattr(row, f) for f in Action.__dataclass_fields__}) if row else None

    def pending(self, ids: Iterable[int] | None = None, created_before: datetime | None = None) -> list[int]:
        query = select(outbox.c.id).where(outbox.c.status == "pending").order_by(outbox.c.id)
        if ids is not None:
            query = query.where(outbox.c.id.in_(list(ids)))
        if created_before is not None:
            query = query.where(outbox.c.created_at < created_before)
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def list(self, shop: str | None = None, status: str | None = None, limit: int = 100) -> list[Action]:
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if shop:
            query = query.where(outbox.c.shop == shop)
        if status:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as connection:
            return [
                Action(**{f: getattr(r, f) for f in Action.__dataclass_fields__}) for r in connection.execute(query)
            ]

    def settle(self, action_id: int, status: str, now: datetime, error: str | None = None, result: Any = None) -> None:
        """Record an attempt's outcome; `pending` with an error means it will be tried again."""
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.id == action_id)
                .values(
                    status=status,
                    attempts=outbox.c.attempts + 1,
                    last_error=error,
                    result=result,
                    sent_at=now if status in DONE else None,
                )
            )

"""The outbox: actions toward Shopify are written in the same transaction as the decision that causes them,
then performed by a separate job, once, whatever retries happen on either side."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from worker.adapters.db import Database, Span, insert_for, within
from worker.adapters.tables import outbox
from worker.domain.actions import PlannedAction

DONE = frozenset({"sent", "dry_run", "failed", "cancelled"})


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
    created_at: datetime
    sent_at: datetime | None


def _action(row: Any) -> Action:
    return Action(**{f: getattr(row, f) for f in Action.__dataclass_fields__})


@dataclass(frozen=True)
class Added:
    """What `add_actions` wrote: every action's id by its key, and the ids of those new in this transaction."""

    ids: dict[str, int]
    new: list[int]


def add_actions(connection: Connection, actions: Sequence[PlannedAction], now: datetime) -> Added:
    """Record intended actions inside the caller's transaction, for the sender to perform once it commits. The
    same key twice is the same action: an action already recorded is left as it stands (sent, pending or
    cancelled) and keeps its id."""
    rows = [
        {
            "shop": a.shop,
            "action": a.action,
            "target": a.target,
            "params": a.params,
            "key": a.key,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for a in actions
    ]
    if not rows:
        return Added({}, [])
    written = {key: action_id for action_id, key in connection.execute(_add_statement(connection.dialect.name), rows)}
    ids = dict(written)
    earlier = [a.key for a in actions if a.key not in written]
    if earlier:
        ids.update(
            (key, action_id)
            for action_id, key in connection.execute(select(outbox.c.id, outbox.c.key).where(outbox.c.key.in_(earlier)))
        )
    return Added(ids, list(dict.fromkeys(written[a.key] for a in actions if a.key in written)))


@functools.cache
def _add_statement(dialect: str) -> Any:
    """One statement for many rows, compiled once: a sweep writes thousands of actions in one transaction."""
    return (
        insert_for(dialect, outbox).on_conflict_do_nothing(index_elements=["key"]).returning(outbox.c.id, outbox.c.key)
    )


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, action_id: int) -> Action | None:
        with self.db.connect() as connection:
            row = connection.execute(select(outbox).where(outbox.c.id == action_id)).first()
        return _action(row) if row else None

    def pending(
        self, ids: Iterable[int] | None = None, created_before: datetime | None = None, shop: str | None = None
    ) -> list[int]:
        query = select(outbox.c.id).where(outbox.c.status == "pending").order_by(outbox.c.id)
        if shop is not None:
            query = query.where(outbox.c.shop == shop)
        if ids is not None:
            query = query.where(outbox.c.id.in_(list(ids)))
        if created_before is not None:
            query = query.where(outbox.c.created_at < created_before)
        with self.db.connect() as connection:
            return list(connection.execute(query).scalars())

    def list(
        self,
        shop: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        created: Span = (None, None),
    ) -> list[Action]:
        """Newest first; `created` bounds when they were written (from inclusive, until exclusive)."""
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit).offset(offset)
        if shop:
            query = query.where(outbox.c.shop == shop)
        if status:
            query = query.where(outbox.c.status == status)
        query = query.where(*within(outbox.c.created_at, created))
        with self.db.connect() as connection:
            return [_action(row) for row in connection.execute(query)]

    def aimed_at(self, shop: str, targets: Iterable[str], ids: Iterable[int] = ()) -> list[Action]:
        """The shop's actions on these gids (an order, its returns), and those with these ids; oldest first."""
        query = (
            select(outbox)
            .where(outbox.c.shop == shop, or_(outbox.c.target.in_(list(targets)), outbox.c.id.in_(list(ids))))
            .order_by(outbox.c.id)
        )
        with self.db.connect() as connection:
            return [_action(row) for row in connection.execute(query)]

    def cancel_pending(self, shop: str, reason: str) -> int:
        """Every action toward the shop not yet sent is cancelled, with the reason; returns how many."""
        with self.db.begin() as connection:
            return int(
                connection.execute(
                    update(outbox)
                    .where(outbox.c.shop == shop, outbox.c.status == "pending")
                    .values(status="cancelled", last_error=reason)
                ).rowcount
            )

    def settle(self, action_id: int, status: str, now: datetime, error: str | None = None, result: Any = None) -> None:
        """Record an attempt's outcome; `pending` with an error means it will be tried again."""
        with self.db.begin() as connection:
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

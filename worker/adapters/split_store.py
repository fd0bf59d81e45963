"""Split plan records: every SQL statement of the split area.

Each decision for an order is a numbered row; the highest number is the order's current plan. A decision equal
to the current one changes nothing, so re-planning the same order any number of times records one plan and
queues its actions once. A new decision supersedes the current one and cancels its actions not yet sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from worker.adapters.db import Database, upsert
from worker.adapters.outbox import add_actions
from worker.adapters.tables import outbox
from worker.adapters.tables.split import split_fulfillment_orders, split_plans
from worker.domain.actions import PlannedAction

PLANNED, SKIPPED, SUPERSEDED, CANCELLED = "planned", "skipped", "superseded", "cancelled"


class ConcurrentPlan(RuntimeError):
    """Another job recorded a different decision for the order at the same moment; the job is retried."""


@dataclass(frozen=True)
class Decision:
    """What planning concluded for an order: a plan with its actions, or a skip with its reason. The actions' keys
    name their role (`apply`, `note`); recording the decision makes them the plan's own by its sequence number."""

    status: str
    plan_hash: str | None = None
    plan: dict[str, Any] | None = None
    reason: str | None = None
    apply: PlannedAction | None = None
    note: PlannedAction | None = None

    @property
    def identity(self) -> tuple[str, str | None, str | None]:
        return (self.status, self.plan_hash, self.reason)


@dataclass(frozen=True)
class PlanRecord:
    id: int
    shop: str
    order_id: int
    sequence: int
    status: str
    trigger: str
    plan_hash: str | None
    plan: dict[str, Any] | None
    reason: str | None
    apply_action_id: int | None
    note_action_id: int | None
    created_at: datetime
    applied: str | None = None  # the outbox status of the action that applies the plan in Shopify
    outcome: dict[str, Any] | None = None  # what that action did: state, detail, steps

    @property
    def identity(self) -> tuple[str, str | None, str | None]:
        return (self.status, self.plan_hash, self.reason)


def _record(row: Any) -> PlanRecord:
    values = row._mapping
    return PlanRecord(**{name: values[name] for name in PlanRecord.__dataclass_fields__ if name in values})


def _order(shop: str, order_id: int) -> Any:
    return (split_plans.c.shop == shop) & (split_plans.c.order_id == order_id)


# Built once: every order event reads its order's current plan.
_CURRENT = (
    select(split_plans)
    .where(split_plans.c.shop == bindparam("shop"), split_plans.c.order_id == bindparam("order_id"))
    .order_by(split_plans.c.sequence.desc())
    .limit(1)
)


class SplitStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, shop: str, order_id: int, decision: Decision, trigger: str, now: datetime) -> list[int]:
        """Record the decision unless it is the order's current one, with its outbox actions in the same
        transaction. Returns the ids of the actions to dispatch (none when nothing changed)."""
        with self.db.begin() as connection:
            current = self._current(connection, shop, order_id)
            if current is not None and current.identity == decision.identity:
                return []
            sequence = current.sequence + 1 if current else 1
            row = {
                "shop": shop,
                "order_id": order_id,
                "sequence": sequence,
                "status": decision.status,
                "trigger": trigger,
                "plan_hash": decision.plan_hash,
                "plan": decision.plan,
                "reason": decision.reason,
                "created_at": now,
            }
            if not upsert(connection, split_plans, [row], ["shop", "order_id", "sequence"], update=[]):
                raced = self._current(connection, shop, order_id)
                if raced is not None and raced.identity == decision.identity:
                    return []
                raise ConcurrentPlan(f"order {order_id} of {shop}: plan {sequence} was recorded by another job")
            if current is not None and current.status == PLANNED:
                connection.execute(update(split_plans).where(split_plans.c.id == current.id).values(status=SUPERSEDED))
                self._cancel_actions(connection, [current], f"superseded by plan {sequence}")
            planned = {
                role: replace(action, key=f"split:{shop}:{order_id}:{sequence}:{role}")
                for role, action in (("apply", decision.apply), ("note", decision.note))
                if action is not None
            }
            added = add_actions(connection, list(planned.values()), now)
            action_ids = {f"{role}_action_id": added.ids[action.key] for role, action in planned.items()}
            if action_ids:
                connection.execute(
                    update(split_plans)
                    .where(_order(shop, order_id), split_plans.c.sequence == sequence)
                    .values(**action_ids)
                )
            return list(action_ids.values())

    def cancel(self, shop: str, order_id: int, reason: str) -> int:
        """The order is cancelled: its current plan stops and every plan action not yet sent is cancelled.
        Returns the number of actions cancelled."""
        with self.db.begin() as connection:
            current = self._current(connection, shop, order_id)
            if current is not None and current.status == PLANNED:
                connection.execute(
                    update(split_plans).where(split_plans.c.id == current.id).values(status=CANCELLED, reason=reason)
                )
            plans = [_record(row) for row in connection.execute(select(split_plans).where(_order(shop, order_id)))]
            return self._cancel_actions(connection, plans, reason)

    def current(self, shop: str, order_id: int) -> PlanRecord | None:
        with self.db.connect() as connection:
            return self._current(connection, shop, order_id)

    def plans(self, shop: str, order_id: int) -> list[PlanRecord]:
        """Every decision for the order, oldest first, with the outcome of applying it in Shopify."""
        query = (
            select(split_plans, outbox.c.status.label("applied"), outbox.c.result.label("outcome"))
            .outerjoin(outbox, outbox.c.id == split_plans.c.apply_action_id)
            .where(_order(shop, order_id))
            .order_by(split_plans.c.sequence)
        )
        with self.db.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def remember_fulfillment_orders(self, shop: str, order_id: int, fulfillment_order_ids: Iterable[int]) -> None:
        rows = [{"shop": shop, "fulfillment_order_id": fo_id, "order_id": order_id} for fo_id in fulfillment_order_ids]
        with self.db.begin() as connection:
            upsert(connection, split_fulfillment_orders, rows, ["shop", "fulfillment_order_id"], update=[])

    def order_of_fulfillment_order(self, shop: str, fulfillment_order_id: int) -> int | None:
        query = select(split_fulfillment_orders.c.order_id).where(
            split_fulfillment_orders.c.shop == shop,
            split_fulfillment_orders.c.fulfillment_order_id == fulfillment_order_id,
        )
        with self.db.connect() as connection:
            return connection.execute(query).scalar()

    @staticmethod
    def _current(connection: Connection, shop: str, order_id: int) -> PlanRecord | None:
        row = connection.execute(_CURRENT, {"shop": shop, "order_id": order_id}).first()
        return _record(row) if row else None

    @staticmethod
    def _cancel_actions(connection: Connection, plans: list[PlanRecord], reason: str) -> int:
        ids = [i for plan in plans for i in (plan.apply_action_id, plan.note_action_id) if i is not None]
        if not ids:
            return 0
        cancelled = connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids), outbox.c.status == "pending")
            .values(status=CANCELLED, last_error=reason)
        )
        return int(cancelled.rowcount)

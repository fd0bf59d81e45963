"""Return and refund records: every SQL statement of the returns area.

A return record is keyed by shop and Shopify's return id. Its first decision stands until the customer's request
changes, a staff override is never replaced by the worker, and Shopify's status of the return only moves forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, null, or_, select, update
from sqlalchemy.engine import Connection

from worker.adapters.db import Database, Span, order_rows, upsert, within
from worker.adapters.outbox import add_actions
from worker.adapters.shopify import ProductFacts
from worker.adapters.tables import fulfillments
from worker.adapters.tables.returns import product_facts, refunds, returns
from worker.domain.actions import PlannedAction

KEY = ["shop", "return_id"]
NOT_EVALUATED = "not_evaluated"
AWAITING_REVIEW = "awaiting_review"
# Shopify's statuses of a return in the order they can follow one another; a late webhook never moves one back.
SHOPIFY_STATUS_RANK = {"requested": 0, "open": 1, "declined": 2, "canceled": 2, "closed": 3}
SETTLED_WITHOUT_REFUND = ("declined", "canceled")
# The inspection stage's steps in the order they follow one another; a late webhook never moves one back.
STAGE_RANK = {
    "awaiting_parcel": 1,
    "inspection_review": 2,
    "inspected": 2,
    "proposed": 2,
    "refund_sent": 3,
    "processed": 4,
    "refunded": 5,
}


class _HasShop(Protocol):
    @property
    def shop(self) -> str: ...


Shopped = TypeVar("Shopped", bound=_HasShop)


class UnknownReturn(LookupError):
    """No record (or more than one, across shops) answers to the return id given."""


def the_one_return(return_id: int, shop: str | None, found: Sequence[Shopped]) -> Shopped:
    """The single record found for a return id, or why there is none: ids are per shop, so several shops may hold
    one each until `shop` picks."""
    if not found:
        raise UnknownReturn(f"no return record {return_id}" + (f" for {shop}" if shop else ""))
    if len(found) > 1:
        shops = ", ".join(sorted(record.shop for record in found))
        raise UnknownReturn(f"return {return_id} is recorded for several shops ({shops}); give --shop")
    return found[0]


@dataclass(frozen=True)
class ReturnRef:
    """What any return webhook tells us: which return, of which order, and Shopify's status of it."""

    shop: str
    return_id: int
    order_id: int | None
    shopify_status: str | None


@dataclass(frozen=True)
class Decided:
    """A policy decision ready to be recorded, with the outbox action it calls for (none: a person decides)."""

    status: str
    decision: str
    evaluation: dict[str, Any]
    request: dict[str, Any]
    policy_name: str
    policy_version: str
    action: PlannedAction | None = None


@dataclass(frozen=True)
class ReturnRecord:
    id: int
    shop: str
    return_id: int
    order_id: int | None
    status: str
    shopify_status: str | None
    reason: str | None
    decision: str | None
    evaluation: dict[str, Any] | None
    request: dict[str, Any] | None
    policy_name: str | None
    policy_version: str | None
    action_id: int | None
    overrides: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    stage: str | None = None
    inspection: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    proposal: dict[str, Any] | None = None
    refund_action_id: int | None = None


@dataclass(frozen=True)
class Inspected:
    """The inspection stage's answer, ready to be recorded: the outcome, and the refund proposal with the outbox
    action performing it (none: a person confirms it first, or nothing is due)."""

    stage: str
    outcome: dict[str, Any]
    proposal: dict[str, Any] | None = None
    action: PlannedAction | None = None


@dataclass(frozen=True)
class LedgerRow:
    shop: str
    return_id: int
    order_id: int | None
    stage: str | None
    currency: str | None
    proposed: Decimal
    refunded: Decimal
    refunds: int

    @property
    def difference(self) -> Decimal:
        return self.refunded - self.proposed

    @property
    def flag(self) -> str | None:
        """Why a person should look: a refund other than the one proposed."""
        if self.refunds and self.difference:
            return f"refunded {self.refunded} against {self.proposed} proposed ({self.difference:+})"
        return None


def _record(row: Any) -> ReturnRecord:
    return ReturnRecord(**{name: getattr(row, name) for name in ReturnRecord.__dataclass_fields__})


def _later(stored: str | None, reported: str | None) -> str | None:
    if stored is None or SHOPIFY_STATUS_RANK.get(reported or "", 0) > SHOPIFY_STATUS_RANK.get(stored, 0):
        return reported or stored
    return stored


def _settled(status: str, shopify_status: str | None) -> str:
    """A return Shopify has moved past `requested` was decided there by a person: nothing is left to review."""
    if status == AWAITING_REVIEW and SHOPIFY_STATUS_RANK.get(shopify_status or "", 0) > 0:
        return "decided_in_shopify"
    return status


class ReturnsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # Return records -----------------------------------------------------------------------------------------

    def hold(self, ref: ReturnRef, status: str, reason: str, now: datetime) -> None:
        """Record a return that cannot be decided yet and why; a decision already recorded is left alone."""
        with self.db.begin() as connection:
            current = self._claim(connection, ref, now, status, reason)
            if current.decision is not None:
                self._advance(connection, current, ref.shopify_status, now)
                return
            self._set(
                connection,
                current,
                status=status,
                reason=reason,
                order_id=ref.order_id,
                shopify_status=_later(current.shopify_status, ref.shopify_status),
                updated_at=now,
            )

    def decide(self, ref: ReturnRef, decided: Decided, now: datetime) -> list[int]:
        """Record the decision and, in the same transaction, its outbox action. Returns the actions to dispatch
        once committed: none when the record already holds a decision for the same request, or a staff one."""
        with self.db.begin() as connection:
            current = self._claim(connection, ref, now, NOT_EVALUATED, None)
            if current.decision is not None and (current.overrides or current.request == decided.request):
                self._advance(connection, current, ref.shopify_status, now)
                return []
            action_id = None
            if decided.action is not None:
                action_id = add_actions(connection, [decided.action], now).ids[decided.action.key]
            shopify_status = _later(current.shopify_status, ref.shopify_status)
            self._set(
                connection,
                current,
                status=_settled(decided.status, shopify_status),
                shopify_status=shopify_status,
                reason=None,
                order_id=ref.order_id,
                decision=decided.decision,
                evaluation=decided.evaluation,
                request=decided.request,
                policy_name=decided.policy_name,
                policy_version=decided.policy_version,
                action_id=action_id,
                updated_at=now,
            )
        return [action_id] if action_id is not None else []

    def note_shopify_status(self, ref: ReturnRef, now: datetime) -> None:
        """Shopify approved, declined, cancelled or closed the return; a return we never saw gets a record."""
        reason = f"Shopify reported the return as {ref.shopify_status} before its request reached us."
        with self.db.begin() as connection:
            current = self._claim(connection, ref, now, NOT_EVALUATED, reason)
            self._advance(connection, current, ref.shopify_status, now)

    def note_reopened(self, ref: ReturnRef, now: datetime) -> None:
        """Shopify reopened the return. Only a closed return can be reopened, so a reopen reaching a return that
        is not closed (its close is still on the way, or the return is unknown) moves nothing back."""
        reason = "Shopify reported the return as reopened before its request reached us."
        with self.db.begin() as connection:
            current = self._claim(connection, ref, now, NOT_EVALUATED, reason)
            if current.shopify_status == "closed":
                self._set(connection, current, shopify_status="open", updated_at=now)
            else:
                self._advance(connection, current, ref.shopify_status, now)

    def override(
        self, return_id: int, decision: str, by: str, why: str, now: datetime, shop: str | None = None
    ) -> ReturnRecord:
        """A person's decision replaces the record's; the history keeps who, when, why and what it replaced."""
        query = select(returns).where(returns.c.return_id == return_id).with_for_update()
        if shop:
            query = query.where(returns.c.shop == shop)
        with self.db.begin() as connection:
            current = the_one_return(return_id, shop, connection.execute(query).all())
            entry = {
                "by": by,
                "at": now.isoformat(),
                "why": why,
                "old_decision": current.decision,
                "decision": decision,
            }
            self._set(
                connection,
                current,
                decision=decision,
                status="overridden",
                overrides=[*current.overrides, entry],
                updated_at=now,
            )
            return _record(self._locked(connection, current.shop, current.return_id))

    def get(self, shop: str, return_id: int) -> ReturnRecord | None:
        with self.db.connect() as connection:
            row = connection.execute(select(returns).where(returns.c.shop == shop, returns.c.return_id == return_id))
            found = row.first()
        return _record(found) if found else None

    def list_returns(
        self,
        shop: str | None = None,
        status: str | None = None,
        limit: int = 100,
        order_id: int | None = None,
        return_id: int | None = None,
        offset: int = 0,
        updated: Span = (None, None),
        stages: Iterable[str] | None = None,
    ) -> list[ReturnRecord]:
        """Last updated first; `updated` bounds when (from inclusive, until exclusive)."""
        query = select(returns).order_by(returns.c.updated_at.desc(), returns.c.id.desc()).limit(limit).offset(offset)
        if return_id is not None:
            query = query.where(returns.c.return_id == return_id)
        if stages is not None:
            query = query.where(returns.c.stage.in_(list(stages)))
        query = query.where(*within(returns.c.updated_at, updated))
        if shop:
            query = query.where(returns.c.shop == shop)
        if status:
            query = query.where(returns.c.status == status)
        if order_id is not None:
            query = query.where(returns.c.order_id == order_id)
        with self.db.connect() as connection:
            return [_record(row) for row in connection.execute(query)]

    def open_return_for(self, shop: str, order_id: int, line_item_ids: Iterable[int]) -> int | None:
        """The newest return of the order, not declined or cancelled, whose request holds all these lines."""
        wanted = set(line_item_ids)
        if not wanted:
            return None
        query = (
            select(returns.c.return_id, returns.c.request)
            .where(
                returns.c.shop == shop,
                returns.c.order_id == order_id,
                returns.c.request.is_not(None),
                or_(returns.c.shopify_status.is_(None), returns.c.shopify_status.not_in(SETTLED_WITHOUT_REFUND)),
            )
            .order_by(returns.c.id.desc())
        )
        with self.db.connect() as connection:
            for return_id, request in connection.execute(query):
                if wanted <= {line["line_item_id"] for line in request.get("lines", [])}:
                    return int(return_id)
        return None

    def returned_before(self, shop: str, order_id: int, except_return_id: int) -> dict[int, int]:
        """Units per line item in the order's other return requests that Shopify has not declined or cancelled,
        refunded or not: units the customer has already sent back or asked to."""
        query = select(returns.c.request).where(
            returns.c.shop == shop,
            returns.c.order_id == order_id,
            returns.c.return_id != except_return_id,
            returns.c.request.is_not(None),
            or_(returns.c.shopify_status.is_(None), returns.c.shopify_status.not_in(SETTLED_WITHOUT_REFUND)),
        )
        units: dict[int, int] = {}
        with self.db.connect() as connection:
            for (request,) in connection.execute(query):
                for line in request.get("lines", []):
                    units[line["line_item_id"]] = units.get(line["line_item_id"], 0) + int(line["quantity"])
        return units

    def _claim(self, connection: Connection, ref: ReturnRef, now: datetime, status: str, reason: str | None) -> Any:
        """The return's record, created as `status` if it is new, locked for the rest of the transaction."""
        row = {
            "shop": ref.shop,
            "return_id": ref.return_id,
            "order_id": ref.order_id,
            "status": status,
            "shopify_status": ref.shopify_status,
            "reason": reason,
            "overrides": [],
            "created_at": now,
            "updated_at": now,
        }
        upsert(connection, returns, [row], KEY, update=[])
        return self._locked(connection, ref.shop, ref.return_id)

    @staticmethod
    def _locked(connection: Connection, shop: str, return_id: int) -> Any:
        query = select(returns).where(returns.c.shop == shop, returns.c.return_id == return_id).with_for_update()
        return connection.execute(query).one()

    @staticmethod
    def _set(connection: Connection, current: Any, **values: Any) -> None:
        if values.get("order_id", current.order_id) is None:
            values.pop("order_id", None)
        connection.execute(update(returns).where(returns.c.id == current.id).values(**values))

    def _advance(self, connection: Connection, current: Any, status: str | None, now: datetime) -> None:
        later = _later(current.shopify_status, status)
        if later != current.shopify_status:
            self._set(connection, current, shopify_status=later, status=_settled(current.status, later), updated_at=now)

    # Inspection and refund ----------------------------------------------------------------------------------

    def merge_inspection(self, shop: str, return_id: int, change: Mapping[str, Mapping[str, Any]]) -> ReturnRecord:
        """Merge what is known of some lines (their dispositions per reverse fulfillment order, or a person's
        findings) into the record's inspection; returns the record as it now stands."""
        with self.db.begin() as connection:
            current = self._locked(connection, shop, return_id)
            lines = {key: dict(value) for key, value in ((current.inspection or {}).get("lines") or {}).items()}
            for line_id, found in change.items():
                merged = lines.setdefault(line_id, {})
                merged["dispositions"] = {**merged.get("dispositions", {}), **found.get("dispositions", {})}
                if "form" in found:
                    merged.update(form=found["form"], by=found["by"], at=found["at"])
            self._set(connection, current, inspection={"lines": lines})
            return _record(self._locked(connection, shop, return_id))

    def save_inspection(self, record: ReturnRecord, inspected: Inspected, now: datetime) -> list[int]:
        """Record the inspection stage's outcome and, in the same transaction, its refund action. Nothing is
        written if the inspection changed since `record` was read (the newer one's outcome stands), and a
        proposal a person made, or a refund already sent, is never replaced."""
        with self.db.begin() as connection:
            current = self._locked(connection, record.shop, record.return_id)
            if current.inspection != record.inspection:
                return []
            values: dict[str, Any] = {"outcome": inspected.outcome, "updated_at": now}
            settled = current.refund_action_id is not None or (current.proposal or {}).get("by")
            if not settled:
                values.update(stage=inspected.stage, proposal=inspected.proposal or null())
                if inspected.action is not None:
                    values["refund_action_id"] = add_actions(connection, [inspected.action], now).ids[
                        inspected.action.key
                    ]
            self._set(connection, current, **values)
            action_id = values.get("refund_action_id")
        return [action_id] if action_id is not None else []

    def decide_refund(
        self, shop: str, return_id: int, proposal: dict[str, Any], action: PlannedAction, now: datetime
    ) -> list[int]:
        """A person confirmed or changed the proposal: it is recorded with who and why, the one it replaced kept
        in its history, and its refund action written in the same transaction."""
        with self.db.begin() as connection:
            current = self._locked(connection, shop, return_id)
            earlier = current.proposal or {}
            history = [*earlier.get("history", []), {k: v for k, v in earlier.items() if k != "history"}]
            added = add_actions(connection, [action], now)
            self._set(
                connection,
                current,
                proposal={**proposal, "history": history if earlier else []},
                stage="refund_sent",
                refund_action_id=added.ids[action.key],
                updated_at=now,
            )
        return added.new

    def advance_stage(self, shop: str, return_id: int, stage: str, now: datetime) -> None:
        """Shopify processed the return, or its refund arrived: the stage moves forward, never back."""
        with self.db.begin() as connection:
            row = connection.execute(
                select(returns).where(returns.c.shop == shop, returns.c.return_id == return_id).with_for_update()
            ).first()
            if row is not None and STAGE_RANK[stage] > STAGE_RANK.get(row.stage or "", 0):
                self._set(connection, row, stage=stage, updated_at=now)

    def ledger(self, shop: str | None = None, limit: int = 100, return_id: int | None = None) -> list[LedgerRow]:
        """Each return with a refund proposed: what was proposed against what Shopify refunded."""
        query = (
            select(returns)
            .where(returns.c.proposal.is_not(None))
            .order_by(returns.c.updated_at.desc(), returns.c.id.desc())
            .limit(limit)
        )
        if shop:
            query = query.where(returns.c.shop == shop)
        if return_id is not None:
            query = query.where(returns.c.return_id == return_id)
        with self.db.connect() as connection:
            rows = connection.execute(query).all()
            paid: dict[tuple[str, int], list[Decimal]] = {}
            if rows:
                found = connection.execute(
                    select(refunds.c.shop, refunds.c.return_id, refunds.c.total).where(
                        refunds.c.return_id.in_([row.return_id for row in rows])
                    )
                )
                for refund_shop, refunded_return, total in found:
                    paid.setdefault((refund_shop, refunded_return), []).append(Decimal(total))
        ledger = []
        for row in rows:
            plan = row.proposal["plan"]
            made = paid.get((row.shop, row.return_id), [])
            ledger.append(
                LedgerRow(
                    row.shop,
                    row.return_id,
                    row.order_id,
                    row.stage,
                    plan.get("currency"),
                    Decimal(plan["total"]),
                    sum(made, Decimal(0)),
                    len(made),
                )
            )
        return ledger

    # Refunds ------------------------------------------------------------------------------------------------

    def save_refund(self, row: Mapping[str, Any]) -> bool:
        """A refund never changes once made, so a repeated webhook writes nothing. True when newly recorded."""
        with self.db.begin() as connection:
            return bool(upsert(connection, refunds, [row], ["shop", "id"], update=[]))

    def refunds(self, shop: str, order_id: int) -> list[dict[str, Any]]:
        """The order's refunds as recorded, oldest first."""
        return order_rows(self.db, refunds, shop, order_id, refunds.c.created_at)

    def refund_return(self, shop: str, refund_id: int) -> int | None:
        """The return a recorded refund settles, if it was linked to one."""
        with self.db.connect() as connection:
            found = connection.execute(
                select(refunds.c.return_id).where(refunds.c.shop == shop, refunds.c.id == refund_id)
            ).scalar()
        return int(found) if found is not None else None

    # Facts a decision reads ---------------------------------------------------------------------------------

    def product_facts(self, shop: str, product_ids: Iterable[int], fetched_since: datetime) -> dict[int, ProductFacts]:
        query = select(product_facts).where(
            product_facts.c.shop == shop,
            product_facts.c.product_id.in_(list(product_ids)),
            product_facts.c.fetched_at >= fetched_since,
        )
        with self.db.connect() as connection:
            return {
                row.product_id: ProductFacts(product_type=row.product_type, tags=list(row.tags))
                for row in connection.execute(query)
            }

    def save_product_facts(self, shop: str, facts: Mapping[int, ProductFacts], now: datetime) -> None:
        rows = [
            {
                "shop": shop,
                "product_id": product_id,
                "product_type": fact["product_type"],
                "tags": fact["tags"],
                "fetched_at": now,
            }
            for product_id, fact in facts.items()
        ]
        with self.db.begin() as connection:
            upsert(connection, product_facts, rows, ["shop", "product_id"])

    def shipments(self, shop: str, order_id: int) -> list[dict[str, Any]]:
        """The order's fulfillments as recorded from fulfillment webhooks: lines, status, shipped and delivered."""
        query = select(
            fulfillments.c.status, fulfillments.c.line_items, fulfillments.c.shipped_at, fulfillments.c.delivered_at
        ).where(and_(fulfillments.c.shop == shop, fulfillments.c.order_id == order_id))
        with self.db.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

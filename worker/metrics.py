"""The worker's figures for GET /metrics. Workers share no disk with the web process, so they leave their figures
in Redis (keys in queueing/keys.py): a counter per job outcome, and a periodic summary of the database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from redis import Redis
from redis.client import Pipeline
from sqlalchemy import Engine, func, select

from queueing.keys import FIELD_SEPARATOR, FIGURES_KEY, JOB_OUTCOMES_KEY
from worker.adapters.tables import outbox
from worker.adapters.tables.late import late_cases, late_flags
from worker.adapters.tables.returns import returns

# Outcomes of this process's jobs not sent yet: the worker sends them with its own call to Redis after each job
# (send_counts), which spares every job a round trip of its own.
_unsent: Counter[str] = Counter()


def count_job(handler: str, outcome: str) -> None:
    _unsent[f"{handler}{FIELD_SEPARATOR}{outcome}"] += 1


def send_counts(pipe: Pipeline) -> None:
    """The counts so far, added to the pipeline and forgotten here: a count lost with a Redis hiccup is not worth
    failing (and retrying) a job for."""
    for field, count in _unsent.items():
        pipe.hincrby(JOB_OUTCOMES_KEY, field, count)
    _unsent.clear()


def compute_figures(engine: Engine, now: datetime) -> dict[str, Any]:
    """The outbox backlog, open late-delivery records by state, and return records by shop and decision.
    Each is a grouped count the database answers from its indexes; times are epoch seconds."""
    with engine.connect() as connection:
        pending, oldest = connection.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.status == "pending")
        ).one()
        late = [
            {"record": record, "state": state, "count": count}
            for record, table in (("flag", late_flags), ("case", late_cases))
            for state, count in connection.execute(
                select(table.c.state, func.count()).where(table.c.status == "open").group_by(table.c.state)
            )
        ]
        decision = func.coalesce(returns.c.decision, "undecided")
        decisions = [
            {"shop": shop, "decision": decided, "count": count}
            for shop, decided, count in connection.execute(
                select(returns.c.shop, decision, func.count()).group_by(returns.c.shop, decision)
            )
        ]
    return {
        "computed_at": now.timestamp(),
        "outbox_pending": pending,
        "outbox_oldest_pending_at": oldest.timestamp() if oldest else None,
        "late_shipments": late,
        "return_decisions": decisions,
    }


def publish_figures(redis: Redis, engine: Engine, now: datetime) -> dict[str, Any]:
    figures = compute_figures(engine, now)
    redis.set(FIGURES_KEY, json.dumps(figures))
    return figures

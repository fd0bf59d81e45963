"""Event log retention: pruning the payloads of processed events past EVENT_RETENTION_DAYS, in PostgreSQL.

Run: .venv/bin/python -m bench.prune [--events 10000] [--due 0.6] [--history 500000]
Two schemas of the bench's own are filled alike: a history of events pruned long ago (records without payloads),
then N events carrying Shopify's 15 KB orders/create sample, a share of them processed more than 30 days ago. In
one, `Records.prune_payloads` (batches of 1,000 rows, each its own transaction) drops the due payloads, then runs
again with nothing due, as each hourly run but the first finds it. The baseline, in the other, is one UPDATE of the
same rows in a single transaction, and the nothing-due run without the partial index on the held payloads (which
then reads the whole log). Schemas are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, null, text, update

from worker.adapters.db import Database, make_engine, upgrade
from worker.adapters.records import Records
from worker.adapters.tables import events

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = json.loads((ROOT / "tests" / "fixtures" / "shopify_samples" / "orders__create.json").read_text())
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
RETENTION = timedelta(days=30)


def fill(engine: Engine, count: int, due_share: float, history: int) -> int:
    due = int(count * due_share)
    rows = []
    for n in range(count):
        age = RETENTION + timedelta(days=1 + n % 60) if n < due else timedelta(days=n % 29)
        rows.append(
            {
                "shop": "bench.myshopify.com",
                "topic": "orders/create",
                "event_id": f"bench-{n}",
                "order_id": n,
                "received_at": NOW - age,
                "processed_at": NOW - age,
                "source": "bench",
                "status": "processed",
                "attempts": 1,
                "payload": {**SAMPLE, "id": n},
            }
        )
    for start in range(0, count, 1000):
        with engine.begin() as connection:
            connection.execute(insert(events), rows[start : start + 1000])
    with engine.begin() as connection:  # the log's history, pruned long ago: records without payloads
        connection.execute(
            text(
                "INSERT INTO events (shop, topic, event_id, order_id, received_at, processed_at, source, status,"
                " attempts, payload) SELECT 'bench.myshopify.com', 'orders/create', 'old-' || g, g, :at, :at,"
                " 'bench', 'processed', 1, NULL FROM generate_series(1, :history) AS g"
            ),
            {"at": NOW - timedelta(days=365), "history": history},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE events"))
    return due


def timed(action) -> tuple[float, object]:  # noqa: ANN001
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def idle(records: Records, cutoff: datetime) -> float:
    """The median of 9 runs that find nothing due."""
    runs = []
    for _ in range(9):
        seconds, pruned = timed(lambda: records.prune_payloads(cutoff))
        assert pruned == 0
        runs.append(seconds)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--due", type=float, default=0.6, help="share of the events past the retention")
    parser.add_argument("--history", type=int, default=500_000, help="older events, pruned already")
    args = parser.parse_args()
    schemas = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    engines = [make_engine(POSTGRES_URL, schema) for schema in schemas]
    cutoff = NOW - RETENTION
    try:
        for engine in engines:
            upgrade(engine)
        due = [fill(engine, args.events, args.due, args.history) for engine in engines][0]
        with engines[0].connect() as connection:
            held_bytes = connection.execute(text("SELECT sum(pg_column_size(payload)) FROM events")).scalar()
            record_bytes = connection.execute(text("SELECT avg(pg_column_size(events.*)) FROM events")).scalar()

        records = Records(Database(engines[0]))
        pruned_seconds, pruned = timed(lambda: records.prune_payloads(cutoff))
        assert pruned == due, f"pruned {pruned} of {due}"
        idle_seconds = idle(records, cutoff)

        def one_statement() -> int:
            with engines[1].begin() as connection:
                statement = (
                    update(events)
                    .where(events.c.payload.isnot(None), events.c.processed_at < cutoff)
                    .values(payload=null())
                )
                return connection.execute(statement).rowcount

        single_seconds, single = timed(one_statement)
        assert single == due
        with engines[1].begin() as connection:
            connection.execute(text("DROP INDEX ix_events_payload_held"))
        scan_seconds = idle(Records(Database(engines[1])), cutoff)
    finally:
        for engine, schema in zip(engines, schemas, strict=True):
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
    print(
        f"{args.events} events of the 15 KB sample ({held_bytes / args.events / 1024:.1f} KB stored each), {due} due, "
        f"after {args.history} pruned ones ({record_bytes:.0f} bytes a record on average)"
    )
    print(f"prune, batches of 1,000:        {pruned_seconds:6.2f} s  {pruned / pruned_seconds:8.0f} payloads/s")
    print(f"baseline, one UPDATE statement: {single_seconds:6.2f} s  {single / single_seconds:8.0f} payloads/s")
    print(f"nothing due, partial index:     {idle_seconds * 1000:6.1f} ms (median of 9)")
    print(f"nothing due, without the index: {scan_seconds * 1000:6.1f} ms (reads the whole log)")


if __name__ == "__main__":
    main()

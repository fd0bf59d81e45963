"""Late-delivery sweep on PostgreSQL: 1,000,000 open shipments, of which 50,000 newly cross a threshold.

Run: .venv/bin/python -m bench.late [--shipments N] [--newly M] [--url URL] [--seed S]
The shipments are spread over the five stores (a shop each, its own rule and calendar) in a schema of their own,
bulk-loaded with COPY and dropped at the end. Per shop, relative to the shop's cutoffs at `now`: 80 % on time,
10 % already flagged, 5 % already escalated (flag and case), and `--newly` that crossed a threshold in the last
day and have no record yet (four in five into late, one in five into escalated). Three figures:
- classifying all N at `now` with `classify_many` (two instants per store, then comparisons);
- counting elapsed days for all N: `elapsed_between` (O(1)) against a day-by-day count, checked for agreement;
- the sweep, from its first query to the committed flags, cases and outbox rows, then the same sweep again.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import holidays
from sqlalchemy import Engine, func, select, text

from config.settings import Settings
from worker.adapters.db import Database, make_engine, upgrade
from worker.adapters.late_store import LateStore
from worker.adapters.tables import fulfillments, outbox
from worker.adapters.tables.late import late_cases, late_flags
from worker.domain.clock import DayKind, classify_many
from worker.domain.late import Watch
from worker.services.late_deliveries import sweep_shop, watch_for

T = TypeVar("T")
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
STORES = ["little-twinkle-stars", "charms-fr", "layered-jewelry", "starlightes", "starlow"]
ONE_DAY = timedelta(days=1)


def timed(run: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.random() * (end - start).total_seconds())


def shipments_of(rng: random.Random, watch: Watch, count: int, newly: int) -> list[tuple[datetime, int]]:
    """(shipped_at, records held: 0 none, 1 flag, 2 flag and case) for one shop, in random order."""
    rule, calendar = watch.rule, watch.calendar
    assert rule.escalate_after is not None
    late = calendar.overdue_cutoff(NOW, rule.late_after, rule.day_kind)
    escalate = calendar.overdue_cutoff(NOW, rule.escalate_after, rule.day_kind)
    flagged, escalated = count // 10, count // 20
    newly_escalated = newly // 5
    plan = [
        (late, NOW, count - flagged - escalated - newly, 0),
        (late - ONE_DAY, late, newly - newly_escalated, 0),
        (escalate, late - ONE_DAY, flagged, 1),
        (escalate - ONE_DAY, escalate, newly_escalated, 1),
        (escalate - 30 * ONE_DAY, escalate - ONE_DAY, escalated, 2),
    ]
    rows = [(between(rng, start, end), held) for start, end, n, held in plan for _ in range(n)]
    rng.shuffle(rows)
    return rows


def copy_rows(engine: Engine, table: str, columns: list[str], rows: list[tuple[object, ...]]) -> None:
    raw = engine.raw_connection()
    try:
        with (
            raw.driver_connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def load(engine: Engine, shops: dict[str, Watch], per_shop: list[int], newly: list[int], rng: random.Random) -> None:
    naive = lambda moment: moment.astimezone(UTC).replace(tzinfo=None)  # noqa: E731
    shipment_rows, flag_rows, case_rows = [], [], []
    fulfillment_id = 0
    for (shop, watch), count, due in zip(shops.items(), per_shop, newly, strict=True):
        clock = (watch.rule.day_kind, watch.calendar.name, watch.calendar.version)
        for shipped_at, held in shipments_of(rng, watch, count, due):
            fulfillment_id += 1
            order_id = 10_000_000 + fulfillment_id // 2
            shipped = naive(shipped_at)
            tracking = json.dumps([f"YT{fulfillment_id:012d}"])
            shipment_rows.append((shop, fulfillment_id, order_id, "success", shipped, shipped, "YunExpress", tracking))
            if held >= 1:
                flag_rows.append(
                    (
                        shop,
                        order_id,
                        fulfillment_id,
                        "late",
                        "possibly held at customs",
                        "open",
                        shipped,
                        22,
                        21,
                        *clock,
                    )
                )
            if held == 2:
                case_rows.append(
                    (shop, order_id, fulfillment_id, "escalated", "in transit", "open", shipped, 31, 30, *clock)
                )
    record = ["shop", "order_id", "fulfillment_id", "state", "reason", "status"]
    clock_columns = ["day_kind", "calendar", "calendar_version"]
    copy_rows(
        engine,
        "fulfillments",
        ["shop", "id", "order_id", "status", "shipped_at", "updated_at", "tracking_company", "tracking_numbers"],
        shipment_rows,
    )
    copy_rows(engine, "late_flags", [*record, "flagged_at", "elapsed_days", "threshold", *clock_columns], flag_rows)
    copy_rows(engine, "late_cases", [*record, "opened_at", "elapsed_days", "threshold", *clock_columns], case_rows)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE fulfillments, late_flags, late_cases"))


def count_day_by_day(shipped: date, today: date, kind: DayKind, holiday_dates: frozenset[date]) -> int:
    """The baseline: one day at a time, as a straightforward implementation would count."""
    elapsed, day = 0, shipped + ONE_DAY
    while day <= today:
        if kind == "calendar" or (day.weekday() < 5 and day not in holiday_dates):
            elapsed += 1
        day += ONE_DAY
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=1_000_000)
    parser.add_argument("--newly", type=int, default=50_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    settings = Settings(api_secrets=("bench",), shop_policies={f"{s}.myshopify.com": s for s in STORES})
    shops = {shop: watch for shop in settings.shop_policies if (watch := watch_for(settings, shop)) is not None}
    per_shop = [args.shipments // len(shops) + (i < args.shipments % len(shops)) for i in range(len(shops))]
    newly = [args.newly // len(shops) + (i < args.newly % len(shops)) for i in range(len(shops))]
    schema = "bench_late_" + uuid.uuid4().hex[:8]
    engine = make_engine(args.url, schema)
    try:
        upgrade(engine)
        _, load_seconds = timed(lambda: load(engine, shops, per_shop, newly, rng))
        print(f"{args.shipments:,} open shipments over {len(shops)} stores in schema {schema}, now {NOW.isoformat()}")
        print(f"  bulk load with COPY and ANALYZE: {load_seconds:.1f} s")

        with engine.connect() as connection:
            rows = connection.execute(select(fulfillments.c.shop, fulfillments.c.shipped_at)).all()
        shipped_by_shop: dict[str, list[datetime]] = {shop: [] for shop in shops}
        for shop, shipped_at in rows:
            shipped_by_shop[shop].append(shipped_at)
        for watch in shops.values():
            classify_many(watch.calendar, watch.rule, [NOW - 400 * ONE_DAY], NOW)  # holiday years loaded up front
        states, classify_seconds = timed(
            lambda: [
                state
                for shop, watch in shops.items()
                for state in classify_many(watch.calendar, watch.rule, shipped_by_shop[shop], NOW)
            ]
        )
        tally = {state: states.count(state) for state in ("on_time", "late", "escalated")}
        print(f"classify all {len(states):,} with classify_many: {classify_seconds:.2f} s (target <= 2 s); {tally}")

        local = {shop: [w.calendar.local_date(moment) for moment in shipped_by_shop[shop]] for shop, w in shops.items()}
        today = {shop: w.calendar.local_date(NOW) for shop, w in shops.items()}
        holiday_dates = {
            shop: frozenset(
                holidays.country_holidays(w.calendar.country, subdiv=w.calendar.subdivision, years=range(2024, 2027))
            )
            for shop, w in shops.items()
        }
        o1, o1_seconds = timed(
            lambda: [
                w.calendar.elapsed_between(day, today[shop], w.rule.day_kind)
                for shop, w in shops.items()
                for day in local[shop]
            ]
        )
        walked, walk_seconds = timed(
            lambda: [
                count_day_by_day(day, today[shop], w.rule.day_kind, holiday_dates[shop])
                for shop, w in shops.items()
                for day in local[shop]
            ]
        )
        if o1 != walked:
            raise SystemExit("the two counts disagree")
        print(f"count elapsed days for all {len(o1):,} (all counts agree)")
        print(
            f"  day-by-day count: {walk_seconds:.2f} s; O(1) count: {o1_seconds:.2f} s; "
            f"ratio x{walk_seconds / o1_seconds:.1f}"
        )

        store = LateStore(Database(engine))

        def sweep_all() -> tuple[int, int, int]:
            counts = [sweep_shop(store, shop, watch, NOW) for shop, watch in shops.items()]
            return sum(c.flags for c in counts), sum(c.cases for c in counts), sum(c.actions for c in counts)

        (flags, cases, actions), sweep_seconds = timed(sweep_all)
        print(
            f"sweep, query to committed records: {sweep_seconds:.2f} s (target <= 20 s); "
            f"{flags:,} flags, {cases:,} cases, {actions:,} outbox rows written"
        )
        again, again_seconds = timed(sweep_all)
        print(f"  the same sweep again: {again_seconds:.2f} s; writes {again}")
        with engine.connect() as connection:
            held = [
                connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (late_flags, late_cases, outbox)
            ]
        expected_flags = sum(newly) - sum(n // 5 for n in newly)
        if (flags, cases, again) != (expected_flags, sum(n // 5 for n in newly), (0, 0, 0)):
            raise SystemExit("the sweep did not record exactly the newly crossed shipments")
        print(f"  records now: {held[0]:,} flags, {held[1]:,} cases, {held[2]:,} outbox rows")
    finally:
        engine.dispose()
        cleanup = make_engine(args.url)
        with cleanup.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        cleanup.dispose()


if __name__ == "__main__":
    main()

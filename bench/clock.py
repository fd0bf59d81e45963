"""Business-day clock: the O(1) count against a day-by-day count on the same shipments, in the same run.

Run: .venv/bin/python -m bench.clock [--shipments N] [--sweep M] [--seed S]
N shipments shipped at random moments over the two years before `now`, under little-twinkle-stars' rule (US
calendar, New York, late over 21 business days, escalated over 30). Two comparisons, each checked for agreement:
- counting elapsed business days from local dates: a day-by-day count against a set of holiday dates, then
  `BusinessCalendar.elapsed_between` (week arithmetic and a bisect);
- classifying from shipped_at: a day-by-day walk that stops once past the escalation threshold (the fair
  baseline for a classification), then `classify` (both counts, O(1) each), then `classify_many` on a sweep
  of M shipments.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from math import inf
from typing import TypeVar

import holidays

from worker.domain.clock import BusinessCalendar, LateRule, classify, classify_many, threshold_state

T = TypeVar("T")
NOW = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)
RULE = LateRule(day_kind="business", late_after=21, escalate_after=30)
TWO_YEARS = 2 * 365 * 24 * 3600


def random_shipments(rng: random.Random, count: int) -> list[datetime]:
    return [NOW - timedelta(seconds=rng.randrange(TWO_YEARS)) for _ in range(count)]


def count_day_by_day(shipped: date, today: date, holiday_dates: frozenset[date], give_up_above: float = inf) -> int:
    """The baseline: one day at a time, as a straightforward implementation would count."""
    elapsed = 0
    day = shipped + timedelta(days=1)
    one_day = timedelta(days=1)
    while day <= today and elapsed <= give_up_above:
        if day.weekday() < 5 and day not in holiday_dates:
            elapsed += 1
        day += one_day
    return elapsed


def timed(run: Callable[[], list[T]]) -> tuple[list[T], float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def row(label: str, rate: float, baseline: float | None = None) -> str:
    ratio = f"x{rate / baseline:.1f} the day-by-day rate" if baseline else ""
    return f"  {label:<30}{rate:>12,.0f} shipments/s  {ratio}".rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=200_000)
    parser.add_argument("--sweep", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    shipments = random_shipments(rng, args.shipments)
    calendar = BusinessCalendar("US", None, "America/New_York")
    today = calendar.local_date(NOW)
    years = range(today.year - 3, today.year + 1)
    holiday_dates = frozenset(holidays.country_holidays("US", years=years))
    classify(calendar, RULE, shipments[0], NOW)  # load the holiday years once, outside the timings

    dates = [calendar.local_date(moment) for moment in shipments]
    walked_counts, walk_count_seconds = timed(lambda: [count_day_by_day(day, today, holiday_dates) for day in dates])
    counts, count_seconds = timed(lambda: [calendar.elapsed_between(day, today, "business") for day in dates])
    if walked_counts != counts:
        raise SystemExit("the two counts disagree")

    give_up = max(RULE.late_after, RULE.escalate_after or 0)
    walked, walk_seconds = timed(
        lambda: [
            threshold_state(RULE, count_day_by_day(calendar.local_date(moment), today, holiday_dates, give_up))
            for moment in shipments
        ]
    )
    classified, classify_seconds = timed(lambda: [classify(calendar, RULE, moment, NOW).state for moment in shipments])
    swept, _ = timed(lambda: classify_many(calendar, RULE, shipments, NOW))
    if not walked == classified == swept:
        raise SystemExit("the three classifications disagree")

    sweep = random_shipments(rng, args.sweep)
    _, sweep_seconds = timed(lambda: classify_many(calendar, RULE, sweep, NOW))

    n = len(shipments)
    walk_count_rate, walk_rate = n / walk_count_seconds, n / walk_seconds
    print(f"{n:,} shipments over two years, {calendar.version}, rule {RULE}, now {NOW.isoformat()}")
    print("count elapsed business days from local dates (all counts agree)")
    print(row("day-by-day count", walk_count_rate))
    print(row("O(1) count", n / count_seconds, walk_count_rate))
    print("classify from shipped_at (all states agree)")
    print(row(f"day-by-day walk, stops at {give_up + 1}", walk_rate))
    print(row("classify, O(1) count", n / classify_seconds, walk_rate))
    print(
        row("classify_many sweep", len(sweep) / sweep_seconds, walk_rate) + f"; {len(sweep):,} in {sweep_seconds:.3f} s"
    )
    states = {state: walked.count(state) for state in ("on_time", "late", "escalated")}
    print(f"  states: {states}")


if __name__ == "__main__":
    main()

"""The business-day clock that decides when a shipment is late.

A shipment's clock counts the store's days d with ``shipped_date < d <= today``, both dates local to the store's
time zone: business days are Monday to Friday minus the public holidays of the store's country (and subdivision)
from the ``holidays`` package; calendar days count every day. A naive datetime is read as UTC everywhere in this
module, because Shopify and the records database speak UTC.

Counting is O(1) per shipment: whole weeks by arithmetic on date ordinals, holidays by bisecting a sorted list of
the ordinals of the holidays that fall on a weekday.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from holidays.version import __version__ as holidays_version

DayKind = Literal["business", "calendar"]
LateState = Literal["on_time", "late", "escalated", "delivered"]


@dataclass(frozen=True)
class LateRule:
    """A store's thresholds: late when elapsed days > late_after, escalated when > escalate_after."""

    day_kind: DayKind = "business"
    late_after: int = 21
    escalate_after: int | None = 30


class ClockError(ValueError):
    """Input the clock cannot measure: an unknown country, subdivision or time zone, or a delivery before shipping."""


@dataclass(frozen=True)
class LateStatus:
    """Where one shipment stands against its store's rule; both counts are kept so records can show either."""

    state: LateState
    elapsed_business_days: int
    elapsed_calendar_days: int


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays among ordinals 1..ordinal; ordinal 1 (0001-01-01) is a Monday.

    Defined for every integer so that differences stay exact at the edges of the proleptic calendar.
    """
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


def _first_ordinal_with_weekdays(count: int) -> int:
    """The smallest ordinal n with _weekdays_through(n) >= count: the inverse of the week arithmetic."""
    weeks, rest = divmod(count - 1, 5)
    return 7 * weeks + rest + 1


class _Coverage(NamedTuple):
    """The loaded years of holidays, swapped in whole so a reader never sees a half-built list."""

    first: int
    last: int
    weekday_holidays: list[int]

    def business_days_through(self, ordinal: int) -> int:
        """A running count of business days; only differences between ordinals inside the coverage mean anything."""
        return _weekdays_through(ordinal) - bisect_right(self.weekday_holidays, ordinal)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class BusinessCalendar:
    """One store's working days. Build it once per store and reuse it: holiday years load on first need."""

    def __init__(self, country: str, subdivision: str | None = None, timezone: str = "UTC") -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            raise ClockError(f"unknown time zone {timezone!r}") from error
        try:
            holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError as error:
            raise ClockError(f"no holiday calendar for {country!r} subdivision {subdivision!r}") from error
        self.country = country
        self.subdivision = subdivision
        self.name = country if subdivision is None else f"{country}-{subdivision}"
        self.version = f"{self.name}/{holidays_version}"
        self._coverage = _Coverage(first=1, last=0, weekday_holidays=[])

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.country!r}, {self.subdivision!r}, {self.zone.key!r})"

    def local_date(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self.zone).date()

    def start_of_day(self, day: date) -> datetime:
        """The first instant of a local day; where DST skips midnight this is the instant the gap ends."""
        return datetime.combine(day, time(), tzinfo=self.zone)

    def is_business_day(self, day: date) -> bool:
        ordinal = day.toordinal()
        coverage = self._covering(ordinal, ordinal)
        return coverage.business_days_through(ordinal) > coverage.business_days_through(ordinal - 1)

    def elapsed_between(self, start: date, end: date, day_kind: DayKind) -> int:
        """Days d with start < d <= end, so the day a parcel ships never counts; 0 when end is not after start."""
        first, last = start.toordinal(), end.toordinal()
        if last <= first:
            return 0
        if day_kind == "calendar":
            return last - first
        coverage = self._covering(first, last)
        return coverage.business_days_through(last) - coverage.business_days_through(first)

    def elapsed_days(self, shipped_at: datetime, until: datetime, day_kind: DayKind) -> int:
        return self.elapsed_between(self.local_date(shipped_at), self.local_date(until), day_kind)

    def crossing_time(self, shipped_at: datetime, days: int, day_kind: DayKind) -> datetime:
        """The start of the first local day on which more than `days` days have elapsed: when to look again."""
        if days < 0:
            raise ClockError(f"a threshold counts days from zero, got {days}")
        shipped = self.local_date(shipped_at).toordinal()
        return self.start_of_day(date.fromordinal(self._first_day_reaching(shipped, days + 1, day_kind)))

    def overdue_cutoff(self, now: datetime, days: int, day_kind: DayKind) -> datetime:
        """Shipments shipped before this instant have more than `days` days elapsed at `now`; others do not.

        The dual of crossing_time: a sweep compares each shipped_at with one instant (or asks the database to).
        """
        if days < 0:
            raise ClockError(f"a threshold counts days from zero, got {days}")
        today = self.local_date(now).toordinal()
        return self.start_of_day(date.fromordinal(self._first_day_reaching(today, -days, day_kind)))

    def _first_day_reaching(self, anchor: int, count: int, day_kind: DayKind) -> int:
        """The smallest ordinal n whose signed day count from anchor reaches count (count may be negative)."""
        if day_kind == "calendar":
            return anchor + count
        low = high = anchor
        while True:
            coverage = self._covering(low, high)
            target = coverage.business_days_through(anchor) + count
            day = _first_ordinal_with_weekdays(target)
            while True:
                later = _first_ordinal_with_weekdays(target + bisect_right(coverage.weekday_holidays, day))
                if later == day:
                    break
                day = later
            if coverage.first <= day <= coverage.last:
                return day
            low, high = min(low, day), max(high, day)

    def _covering(self, first: int, last: int) -> _Coverage:
        """Holidays for every year holding an ordinal in first..last, loading the missing years with a year's margin."""
        coverage = self._coverage
        if coverage.first <= first and last <= coverage.last:
            return coverage
        years = [date.fromordinal(first).year - 1, date.fromordinal(last).year + 1]
        if coverage.first <= coverage.last:
            years += [date.fromordinal(coverage.first).year, date.fromordinal(coverage.last).year]
        low, high = max(min(years), MINYEAR), min(max(years), MAXYEAR)
        table = holidays.country_holidays(self.country, subdiv=self.subdivision, years=range(low, high + 1))
        weekday_holidays = sorted({day.toordinal() for day in table if day.weekday() < 5 and low <= day.year <= high})
        coverage = _Coverage(date(low, 1, 1).toordinal(), date(high, 12, 31).toordinal(), weekday_holidays)
        self._coverage = coverage
        return coverage


def threshold_state(rule: LateRule, elapsed: int) -> LateState:
    """The state of a shipment still in transit after `elapsed` days of the rule's kind."""
    if rule.escalate_after is not None and elapsed > rule.escalate_after:
        return "escalated"
    return "late" if elapsed > rule.late_after else "on_time"


def classify(
    calendar: BusinessCalendar,
    rule: LateRule,
    shipped_at: datetime,
    now: datetime,
    delivered_at: datetime | None = None,
) -> LateStatus:
    """A shipment's state at `now`; a delivery stops the clock on the delivery date, whenever it is reported."""
    if delivered_at is not None and _aware(delivered_at) < _aware(shipped_at):
        raise ClockError("delivered before it was shipped")
    shipped = calendar.local_date(shipped_at)
    until = calendar.local_date(now if delivered_at is None else delivered_at)
    business = calendar.elapsed_between(shipped, until, "business")
    calendar_days = calendar.elapsed_between(shipped, until, "calendar")
    if delivered_at is not None:
        state: LateState = "delivered"
    else:
        state = threshold_state(rule, business if rule.day_kind == "business" else calendar_days)
    return LateStatus(state, business, calendar_days)


def next_crossing(calendar: BusinessCalendar, rule: LateRule, shipped_at: datetime, now: datetime) -> datetime | None:
    """When an undelivered shipment next changes state after `now`, or None once no threshold is left to cross."""
    thresholds = [rule.late_after] if rule.escalate_after is None else [rule.late_after, rule.escalate_after]
    moments = [calendar.crossing_time(shipped_at, days, rule.day_kind) for days in thresholds]
    upcoming = [moment for moment in moments if moment > _aware(now)]
    return min(upcoming, default=None)


def classify_many(
    calendar: BusinessCalendar, rule: LateRule, shipped_ats: Iterable[datetime], now: datetime
) -> list[LateState]:
    """States of many undelivered shipments at one moment, in input order: two instants, then comparisons only."""
    late_cutoff = calendar.overdue_cutoff(now, rule.late_after, rule.day_kind).astimezone(UTC)
    escalate_cutoff = (
        datetime.min.replace(tzinfo=UTC)
        if rule.escalate_after is None
        else calendar.overdue_cutoff(now, rule.escalate_after, rule.day_kind).astimezone(UTC)
    )
    naive_late, naive_escalate = late_cutoff.replace(tzinfo=None), escalate_cutoff.replace(tzinfo=None)
    states: list[LateState] = []
    append = states.append
    for shipped_at in shipped_ats:
        if shipped_at.tzinfo is None:
            late, escalate = naive_late, naive_escalate
        else:
            late, escalate = late_cutoff, escalate_cutoff
        if shipped_at < escalate:
            append("escalated")
        elif shipped_at < late:
            append("late")
        else:
            append("on_time")
    return states

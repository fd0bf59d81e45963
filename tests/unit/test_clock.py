from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.domain.clock import (
    BusinessCalendar,
    ClockError,
    DayKind,
    LateRule,
    classify,
    classify_many,
    next_crossing,
)

NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
CALENDARS = [
    ("US", None, "America/New_York"),
    ("FR", None, "Europe/Paris"),
    ("DE", "BY", "Europe/Berlin"),
    ("AU", "NSW", "Australia/Sydney"),
    ("JP", None, "Asia/Tokyo"),
    ("CU", None, "America/Havana"),
]
TRANSIT_RULE = LateRule(day_kind="business", late_after=21, escalate_after=30)
WINDOW_RULE = LateRule(day_kind="calendar", late_after=12, escalate_after=None)


@cache
def calendar_for(country: str, subdivision: str | None = None, timezone: str = "UTC") -> BusinessCalendar:
    return BusinessCalendar(country, subdivision, timezone)


def us() -> BusinessCalendar:
    return calendar_for("US", None, "America/New_York")


def fr() -> BusinessCalendar:
    return calendar_for("FR", None, "Europe/Paris")


def at(zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("calendar", "shipped", "today", "business_days"),
    [
        pytest.param(us, date(2024, 3, 1), date(2024, 3, 3), 0, id="a weekend adds no business day"),
        pytest.param(us, date(2024, 3, 1), date(2024, 3, 4), 1, id="the Monday after a Friday shipment is day 1"),
        pytest.param(us, date(2024, 3, 1), date(2024, 3, 1), 0, id="the shipping day itself never counts"),
        pytest.param(us, date(2024, 11, 27), date(2024, 11, 28), 0, id="US Thanksgiving is not a business day"),
        pytest.param(us, date(2024, 11, 27), date(2024, 11, 29), 1, id="US the Friday after Thanksgiving counts"),
        pytest.param(us, date(2024, 12, 20), date(2025, 1, 3), 8, id="US Christmas and New Year across a year end"),
        pytest.param(us, date(2021, 12, 30), date(2022, 1, 3), 1, id="US New Year observed on Friday Dec 31"),
        pytest.param(fr, date(2025, 7, 11), date(2025, 7, 15), 1, id="FR le 14 juillet is a holiday"),
        pytest.param(fr, date(2025, 4, 30), date(2025, 5, 2), 1, id="FR le 1er mai is a holiday"),
        pytest.param(fr, date(2025, 12, 24), date(2026, 1, 2), 5, id="FR Noel and Jour de l'an across a year end"),
        pytest.param(fr, date(2024, 11, 27), date(2024, 11, 29), 2, id="FR has no Thanksgiving"),
    ],
)
def test_business_days_skip_weekends_and_the_countrys_public_holidays(
    calendar: Callable[[], BusinessCalendar], shipped: date, today: date, business_days: int
) -> None:
    assert calendar().elapsed_between(shipped, today, "business") == business_days


def test_calendar_days_count_every_day_after_shipping() -> None:
    assert us().elapsed_between(date(2024, 12, 20), date(2025, 1, 3), "calendar") == 14


def test_a_day_before_shipping_has_nothing_elapsed() -> None:
    assert us().elapsed_between(date(2024, 3, 8), date(2024, 3, 1), "business") == 0
    assert us().elapsed_between(date(2024, 3, 8), date(2024, 3, 1), "calendar") == 0


@pytest.mark.parametrize(
    ("calendar", "shipped_at", "now", "business_days"),
    [
        pytest.param(
            us,
            at(NEW_YORK, 2024, 2, 29, 23, 30),
            at(NEW_YORK, 2024, 3, 1, 12, 0),
            1,
            id="shipped 23:30 Thursday in New York (Friday in UTC) counts Friday",
        ),
        pytest.param(
            fr,
            at(PARIS, 2024, 3, 1, 0, 30),
            at(PARIS, 2024, 3, 1, 18, 0),
            0,
            id="shipped 00:30 Friday in Paris (Thursday in UTC) has nothing elapsed that Friday",
        ),
        pytest.param(
            us,
            at(NEW_YORK, 2024, 3, 1, 10, 0),
            at(NEW_YORK, 2024, 3, 4, 23, 30),
            1,
            id="now at 23:30 Monday in New York (Tuesday in UTC) is still Monday",
        ),
    ],
)
def test_days_are_the_stores_local_dates(
    calendar: Callable[[], BusinessCalendar], shipped_at: datetime, now: datetime, business_days: int
) -> None:
    assert calendar().elapsed_days(shipped_at, now, "business") == business_days


def test_a_naive_datetime_is_read_as_utc(host_in_tokyo: None) -> None:
    naive = datetime(2024, 3, 1, 3, 0)
    assert us().local_date(naive) == date(2024, 2, 29)
    assert us().local_date(naive) == us().local_date(naive.replace(tzinfo=UTC))


def test_a_sweep_reads_naive_shipping_times_as_utc_whatever_the_hosts_time_zone(host_in_tokyo: None) -> None:
    now = at(NEW_YORK, 2024, 12, 4, 12)
    # The cutoffs are midnights in New York: 1 November (21 business days) and 21 October (30).
    shipped_ats = [datetime(2024, 11, 1, 3, 59), datetime(2024, 11, 1, 4, 0)]
    shipped_ats += [datetime(2024, 10, 21, 3, 59), datetime(2024, 10, 21, 4, 0)]

    assert classify_many(us(), TRANSIT_RULE, shipped_ats, now) == ["late", "on_time", "escalated", "late"]


SHIPPED_FRIDAY_NOV_1 = at(NEW_YORK, 2024, 11, 1, 15, 0)


@pytest.mark.parametrize(
    ("now", "elapsed", "state"),
    [
        pytest.param(at(NEW_YORK, 2024, 12, 4, 12), 21, "on_time", id="21 business days in transit is not over 21"),
        pytest.param(at(NEW_YORK, 2024, 12, 5, 0), 22, "late", id="over 21 business days in transit: flag"),
        pytest.param(at(NEW_YORK, 2024, 12, 17, 23), 30, "late", id="30 business days is flagged, not escalated"),
        pytest.param(at(NEW_YORK, 2024, 12, 18, 9), 31, "escalated", id="over 30 business days: escalate"),
    ],
)
def test_transit_thresholds_count_business_days(now: datetime, elapsed: int, state: str) -> None:
    status = classify(us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, now)

    assert (status.elapsed_business_days, status.state) == (elapsed, state)


@pytest.mark.parametrize(
    ("now", "elapsed", "state"),
    [
        pytest.param(at(NEW_YORK, 2024, 3, 13, 20), 12, "on_time", id="day 12 is inside the 12-day window"),
        pytest.param(at(NEW_YORK, 2024, 3, 14, 0), 13, "late", id="a delivery past the 12-day window is flagged"),
        pytest.param(at(NEW_YORK, 2025, 3, 1, 0), 365, "late", id="no escalation rule: it stays flagged"),
    ],
)
def test_a_calendar_day_window_counts_weekends_and_holidays(now: datetime, elapsed: int, state: str) -> None:
    status = classify(us(), WINDOW_RULE, at(NEW_YORK, 2024, 3, 1, 9), now)

    assert (status.elapsed_calendar_days, status.state) == (elapsed, state)


def test_delivery_stops_the_clock_on_the_delivery_date() -> None:
    status = classify(
        us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, now=at(UTC, 2025, 6, 1), delivered_at=at(NEW_YORK, 2024, 11, 20, 16)
    )

    assert (status.state, status.elapsed_business_days, status.elapsed_calendar_days) == ("delivered", 12, 19)


def test_a_parcel_delivered_the_moment_it_shipped_is_delivered_with_nothing_elapsed() -> None:
    status = classify(us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, at(UTC, 2025, 1, 1), SHIPPED_FRIDAY_NOV_1)

    assert (status.state, status.elapsed_business_days, status.elapsed_calendar_days) == ("delivered", 0, 0)


def test_a_naive_delivery_time_is_read_as_utc_beside_an_aware_shipping_time() -> None:
    delivered = SHIPPED_FRIDAY_NOV_1.astimezone(UTC).replace(tzinfo=None) + timedelta(days=3)
    status = classify(us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, at(UTC, 2025, 1, 1), delivered)

    assert (status.state, status.elapsed_calendar_days) == ("delivered", 3)


def test_a_delivery_before_shipping_is_refused() -> None:
    with pytest.raises(ClockError, match="^delivered before it was shipped$"):
        classify(us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, now=at(UTC, 2025, 1, 1), delivered_at=at(UTC, 2024, 10, 1))


def test_crossing_times_are_the_local_midnights_that_change_the_state() -> None:
    calendar = us()

    assert calendar.crossing_time(SHIPPED_FRIDAY_NOV_1, 21, "business") == at(NEW_YORK, 2024, 12, 5, 0)
    assert calendar.crossing_time(SHIPPED_FRIDAY_NOV_1, 30, "business") == at(NEW_YORK, 2024, 12, 18, 0)
    assert calendar.crossing_time(SHIPPED_FRIDAY_NOV_1, 12, "calendar") == at(NEW_YORK, 2024, 11, 14, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(at(NEW_YORK, 2024, 11, 2), at(NEW_YORK, 2024, 12, 5), id="on time: look again when it turns late"),
        pytest.param(at(NEW_YORK, 2024, 12, 5), at(NEW_YORK, 2024, 12, 18), id="late: look again when it escalates"),
        pytest.param(at(NEW_YORK, 2024, 12, 18), None, id="escalated: nothing left to wait for"),
    ],
)
def test_the_next_check_is_the_next_threshold_crossing(now: datetime, expected: datetime | None) -> None:
    assert next_crossing(us(), TRANSIT_RULE, SHIPPED_FRIDAY_NOV_1, now) == expected


def test_a_rule_without_escalation_has_nothing_to_wait_for_once_late() -> None:
    assert next_crossing(us(), WINDOW_RULE, SHIPPED_FRIDAY_NOV_1, at(NEW_YORK, 2024, 11, 20)) is None


def test_a_day_whose_midnight_is_skipped_by_dst_starts_when_the_clock_jumps() -> None:
    havana = calendar_for("CU", None, "America/Havana")
    start = havana.start_of_day(date(2024, 3, 10))

    assert start.astimezone(UTC) == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)
    assert havana.local_date(start - timedelta(microseconds=1)) == date(2024, 3, 9)


def test_is_business_day_follows_weekends_and_holidays() -> None:
    calendar = us()

    assert calendar.is_business_day(date(2024, 11, 26))
    assert not calendar.is_business_day(date(2024, 11, 28))
    assert not calendar.is_business_day(date(2024, 11, 30))


@pytest.mark.parametrize(
    ("country", "subdivision", "timezone", "message"),
    [
        pytest.param("XX", None, "UTC", "no holiday calendar for 'XX' subdivision None", id="unknown country"),
        pytest.param("US", "ZZ", "UTC", "no holiday calendar for 'US' subdivision 'ZZ'", id="unknown subdivision"),
        pytest.param("US", None, "America/Nowhere", "unknown time zone 'America/Nowhere'", id="unknown time zone"),
        pytest.param("US", None, "America", "unknown time zone 'America'", id="a time zone folder"),
    ],
)
def test_a_calendar_that_cannot_exist_is_refused(
    country: str, subdivision: str | None, timezone: str, message: str
) -> None:
    with pytest.raises(ClockError) as refused:
        BusinessCalendar(country, subdivision, timezone)
    assert str(refused.value) == message


def test_a_calendar_without_a_time_zone_counts_utc_days() -> None:
    calendar = BusinessCalendar("US")

    assert repr(calendar) == "BusinessCalendar('US', None, 'UTC')"
    assert calendar.local_date(at(NEW_YORK, 2026, 3, 2, 23, 30)) == date(2026, 3, 3)


def test_a_subdivision_names_the_calendar_and_brings_its_own_holidays() -> None:
    bavaria, germany = BusinessCalendar("DE", "BY", "Europe/Berlin"), BusinessCalendar("DE", None, "Europe/Berlin")

    assert (bavaria.name, germany.name) == ("DE-BY", "DE")
    # Epiphany (Tuesday 6 January 2026) is a public holiday in Bavaria, not in all of Germany.
    assert bavaria.elapsed_between(date(2026, 1, 5), date(2026, 1, 7), "business") == 1
    assert germany.elapsed_between(date(2026, 1, 5), date(2026, 1, 7), "business") == 2


def test_a_holiday_on_a_saturday_costs_only_its_observed_friday() -> None:
    # Independence Day 2026 is a Saturday, observed on Friday 3 July: Thursday 2, then Monday 6 to Wednesday 8.
    calendar = BusinessCalendar("US", None, "America/New_York")

    assert calendar.elapsed_between(date(2026, 7, 1), date(2026, 7, 8), "business") == 4


def test_a_calendar_asked_about_one_year_knows_the_next_years_holidays_too() -> None:
    calendar = BusinessCalendar("US", None, "America/New_York")
    assert calendar.elapsed_between(date(2026, 3, 2), date(2026, 3, 6), "business") == 4

    # New Year's Day 2027 is a Friday; Christmas 2025 a Thursday.
    assert calendar.elapsed_between(date(2026, 12, 31), date(2027, 1, 4), "business") == 1
    assert calendar.elapsed_between(date(2025, 12, 24), date(2025, 12, 26), "business") == 1


def test_a_threshold_years_away_is_found_past_the_holidays_loaded_so_far() -> None:
    calendar = BusinessCalendar("FR", None, "Europe/Paris")
    shipped_at = at(PARIS, 2026, 3, 2, 10)

    crossing = calendar.crossing_time(shipped_at, 800, "business")

    assert calendar.elapsed_days(shipped_at, crossing, "business") == 801
    assert calendar.elapsed_days(shipped_at, crossing - timedelta(microseconds=1), "business") == 800
    # At that moment a parcel shipped on 2 March has 801 days behind it, one shipped on 3 March only 800.
    assert calendar.overdue_cutoff(crossing, 800, "business") == calendar.start_of_day(date(2026, 3, 3))


def test_a_negative_threshold_is_refused() -> None:
    with pytest.raises(ClockError, match="^a threshold counts days from zero, got -1$"):
        us().crossing_time(SHIPPED_FRIDAY_NOV_1, -1, "business")
    with pytest.raises(ClockError, match="^a threshold counts days from zero, got -2$"):
        us().overdue_cutoff(SHIPPED_FRIDAY_NOV_1, -2, "calendar")


def test_the_calendar_version_names_the_holiday_data_that_decided() -> None:
    assert us().version == f"US/{holidays.__version__}"
    assert calendar_for("DE", "BY", "Europe/Berlin").version == f"DE-BY/{holidays.__version__}"


def day_by_day(country: str, subdivision: str | None, start: date, end: date) -> int:
    table = holidays.country_holidays(country, subdiv=subdivision)
    days = (start + timedelta(days=offset) for offset in range(1, (end - start).days + 1))
    return sum(1 for day in days if day.weekday() < 5 and day not in table)


@settings(deadline=None)
@given(
    place=st.sampled_from(CALENDARS),
    start=st.dates(min_value=date(2012, 1, 1), max_value=date(2034, 12, 31)),
    span=st.integers(min_value=-30, max_value=1500),
)
def test_the_o1_count_matches_a_day_by_day_walk(place: tuple[str, str | None, str], start: date, span: int) -> None:
    country, subdivision, _ = place
    end = start + timedelta(days=span)

    assert calendar_for(*place).elapsed_between(start, end, "business") == day_by_day(country, subdivision, start, end)


@settings(deadline=None)
@given(
    place=st.sampled_from(CALENDARS),
    shipped_at=st.datetimes(min_value=datetime(2012, 1, 1), max_value=datetime(2034, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
    day_kind=st.sampled_from(["business", "calendar"]),
)
def test_the_crossing_time_is_the_first_instant_past_the_threshold(
    place: tuple[str, str | None, str], shipped_at: datetime, days: int, day_kind: DayKind
) -> None:
    calendar = calendar_for(*place)
    crossing = calendar.crossing_time(shipped_at, days, day_kind)

    assert calendar.elapsed_days(shipped_at, crossing, day_kind) == days + 1
    assert calendar.elapsed_days(shipped_at, crossing - timedelta(microseconds=1), day_kind) == days


@pytest.mark.parametrize(
    ("shipped_at", "state"),
    [
        pytest.param(at(NEW_YORK, 2024, 11, 1), "on_time", id="shipped at the cutoff: 21 business days, on time"),
        pytest.param(at(NEW_YORK, 2024, 10, 31, 23, 59), "late", id="shipped the evening before: 22, flagged"),
        pytest.param(at(NEW_YORK, 2024, 10, 21), "late", id="shipped at the escalation cutoff: 30, flagged"),
        pytest.param(at(NEW_YORK, 2024, 10, 18, 23, 59), "escalated", id="shipped before it: 31, escalated"),
    ],
)
def test_a_sweep_splits_shipments_at_the_overdue_cutoffs(shipped_at: datetime, state: str) -> None:
    now = at(NEW_YORK, 2024, 12, 4, 12)

    assert us().overdue_cutoff(now, 21, "business") == at(NEW_YORK, 2024, 11, 1)
    assert us().overdue_cutoff(now, 30, "business") == at(NEW_YORK, 2024, 10, 21)
    assert classify_many(us(), TRANSIT_RULE, [shipped_at], now) == [state]
    assert classify(us(), TRANSIT_RULE, shipped_at, now).state == state


AROUND_MIDNIGHT = st.sampled_from([timedelta(microseconds=-1), timedelta(0)]) | st.timedeltas(
    min_value=timedelta(0), max_value=timedelta(hours=23)
)


@settings(deadline=None)
@given(
    place=st.sampled_from(CALENDARS),
    now=st.datetimes(min_value=datetime(2014, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)),
    shipments=st.lists(st.tuples(st.integers(min_value=0, max_value=50), AROUND_MIDNIGHT), max_size=30),
    zone=st.sampled_from([None, UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Los_Angeles")]),
    rule=st.sampled_from([TRANSIT_RULE, WINDOW_RULE, LateRule("business", 0, 1), LateRule("calendar", 5, 9)]),
)
def test_a_batch_sweep_agrees_with_classifying_each_shipment(
    place: tuple[str, str | None, str],
    now: datetime,
    shipments: list[tuple[int, timedelta]],
    zone: ZoneInfo | None,
    rule: LateRule,
) -> None:
    calendar = calendar_for(*place)
    today = calendar.local_date(now)
    moments = [calendar.start_of_day(today - timedelta(days=age)) + offset for age, offset in shipments]
    shipped_ats = [
        moment.astimezone(zone) if zone is not None else moment.astimezone(UTC).replace(tzinfo=None)
        for moment in moments
    ]

    expected = [classify(calendar, rule, shipped_at, now).state for shipped_at in shipped_ats]
    assert classify_many(calendar, rule, shipped_ats, now) == expected

"""What a look at shipments in transit decides, without a database: which get a flag and a note on their order, which
get a case, what the merchant reads, and how `late report` dates each one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from worker.domain.actions import PlannedAction
from worker.domain.clock import BusinessCalendar, LateRule
from worker.domain.late import LateShipment, Shipment, Watch, arrival_note, judge, late_now, tracking_text, worst
from worker.domain.policy import LateTexts

SHOP = "little-twinkle-stars.myshopify.com"
ORDER = "gid://shopify/Order/5001"
SHIPPED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)  # 28 calendar days after shipping
RULE = LateRule(day_kind="calendar", late_after=21, escalate_after=30)
TEXTS = LateTexts(flag_reason="possibly held at customs", case_action="reship or refund", promise="7-12 days")


@cache
def new_york() -> BusinessCalendar:
    return BusinessCalendar("US", None, "America/New_York")


def watch(rule: LateRule = RULE, texts: LateTexts = TEXTS) -> Watch:
    return Watch("little-twinkle-stars", rule, new_york(), texts)


def shipment(fulfillment_id: int = 7, **changes: object) -> Shipment:
    shipped = Shipment(
        shop=SHOP,
        order_id=5001,
        fulfillment_id=fulfillment_id,
        shipped_at=SHIPPED,
        delivered_at=None,
        shipment_status="in_transit",
        tracking="LX123456789CN",
        order_note=None,
        flagged_at=None,
        case_opened_at=None,
    )
    return replace(shipped, **changes)


def record(elapsed: int = 28, fulfillment_id: int = 7) -> dict[str, object]:
    calendar = new_york()
    return {
        "shop": SHOP,
        "order_id": 5001,
        "fulfillment_id": fulfillment_id,
        "elapsed_days": elapsed,
        "day_kind": "calendar",
        "calendar": "US",
        "calendar_version": calendar.version,
    }


NOTE = (
    "Shipment 7 (LX123456789CN): 28 calendar days in transit, over 21 (promised: 7-12 days): possibly held at customs."
)


def test_a_late_shipment_is_flagged_and_its_order_tagged_and_noted() -> None:
    found = judge(watch(), [shipment()], ["late"], NOW)

    assert found.flags == [
        {
            **record(),
            "state": "late",
            "reason": "possibly held at customs",
            "status": "open",
            "flagged_at": NOW,
            "threshold": 21,
        }
    ]
    assert found.cases == []
    assert found.actions == [
        PlannedAction(SHOP, "add_tags", ORDER, {"tags": ["late-delivery"]}, f"late:{SHOP}:7:late"),
        PlannedAction(SHOP, "set_order_note", ORDER, {"note": NOTE}, f"late:{SHOP}:7:late:note"),
    ]


def test_a_shipment_escalated_before_it_was_ever_flagged_gets_a_flag_and_a_case() -> None:
    found = judge(watch(), [shipment()], ["escalated"], NOW + timedelta(days=5))

    assert [flag["state"] for flag in found.flags] == ["late"]
    assert found.cases == [
        {
            **record(elapsed=33),
            "state": "escalated",
            "reason": "in transit over 30 calendar days: reship or refund",
            "status": "open",
            "opened_at": NOW + timedelta(days=5),
            "threshold": 30,
        }
    ]
    assert [(action.action, action.params, action.key) for action in found.actions][2:] == [
        ("add_tags", {"tags": ["late-delivery-escalated"]}, f"late:{SHOP}:7:escalated")
    ]


def test_a_carrier_failure_opens_a_case_at_once_without_a_flag() -> None:
    found = judge(watch(), [shipment(shipment_status="failure")], ["on_time"], SHIPPED + timedelta(days=3))

    assert found.flags == []
    assert found.cases == [
        {
            **record(elapsed=3),
            "state": "escalated",
            "reason": "the carrier reported a delivery failure",
            "status": "open",
            "opened_at": SHIPPED + timedelta(days=3),
            "threshold": None,
        }
    ]
    assert [action.action for action in found.actions] == ["add_tags"]


@pytest.mark.parametrize(
    ("state", "recorded"),
    [
        pytest.param("on_time", {}, id="on time"),
        pytest.param("delivered", {}, id="delivered"),
        pytest.param("late", {"flagged_at": NOW}, id="late and already flagged"),
        pytest.param("escalated", {"flagged_at": NOW, "case_opened_at": NOW}, id="escalated with its case open"),
        pytest.param("on_time", {"shipment_status": "failure", "case_opened_at": NOW}, id="failure with its case"),
    ],
)
def test_nothing_is_decided_twice_or_before_its_time(state: str, recorded: dict[str, object]) -> None:
    found = judge(watch(), [shipment(**recorded)], [state], NOW)  # type: ignore[list-item]

    assert (found.flags, found.cases, found.actions) == ([], [], [])


def test_an_escalated_shipment_already_flagged_only_gets_its_case() -> None:
    found = judge(watch(), [shipment(flagged_at=NOW)], ["escalated"], NOW)

    assert found.flags == []
    assert [case["threshold"] for case in found.cases] == [30]
    assert [action.key for action in found.actions] == [f"late:{SHOP}:7:escalated"]


def test_the_note_keeps_what_the_order_said_and_each_late_shipment_adds_its_line_once() -> None:
    second = NOTE.replace("Shipment 7", "Shipment 8")
    found = judge(
        watch(),
        [shipment(7, order_note="Gift wrap, please"), shipment(8, order_note="Gift wrap, please")],
        ["late", "late"],
        NOW,
    )

    notes = [action.params["note"] for action in found.actions if action.action == "set_order_note"]
    assert notes == [f"Gift wrap, please\n\n{NOTE}", f"Gift wrap, please\n\n{NOTE}\n\n{second}"]

    again = judge(watch(), [shipment(order_note=f"Gift wrap, please\n\n{NOTE}")], ["late"], NOW)
    assert [action.params for action in again.actions][1] == {"note": f"Gift wrap, please\n\n{NOTE}"}


def test_a_note_without_tracking_or_promise_says_only_what_is_known() -> None:
    bare = LateTexts(flag_reason="possibly held at customs", case_action="reship or refund", promise=None)

    found = judge(watch(texts=bare), [shipment(tracking=None)], ["late"], NOW)

    assert found.actions[1].params == {
        "note": "Shipment 7: 28 calendar days in transit, over 21: possibly held at customs."
    }


def test_business_days_are_counted_and_named_when_the_store_counts_them() -> None:
    rule = LateRule(day_kind="business", late_after=15, escalate_after=25)

    found = judge(watch(rule), [shipment()], ["late"], NOW)

    # 2 to 30 March 2026 in New York: four weekends, no federal holiday.
    assert (found.flags[0]["elapsed_days"], found.flags[0]["day_kind"], found.flags[0]["threshold"]) == (
        20,
        "business",
        15,
    )
    assert "20 business days in transit, over 15" in found.actions[1].params["note"]


def test_the_arrival_note_dates_the_delivery_in_the_stores_own_time_zone() -> None:
    # 03:00 UTC on 12 March is still 11 March in New York.
    delivered = shipment(delivered_at=datetime(2026, 3, 12, 3, 0, tzinfo=UTC))

    assert arrival_note(watch(), delivered) == "The parcel arrived on 2026-03-11, 9 calendar days after shipping."


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        pytest.param([], "on_time", id="no shipment in transit"),
        pytest.param(["delivered"], "delivered", id="all delivered"),
        pytest.param(["delivered", "on_time"], "on_time", id="one still on its way"),
        pytest.param(["escalated", "late", "delivered"], "escalated", id="the worst shipment decides"),
        pytest.param(["on_time", "late"], "late", id="late beats on time"),
    ],
)
def test_an_order_is_as_late_as_its_worst_shipment(states: list[str], expected: str) -> None:
    assert worst(states) == expected  # type: ignore[arg-type]


def late_report_row(state: str, since: datetime, elapsed: int = 28) -> LateShipment:
    return LateShipment(SHOP, "little-twinkle-stars", 5001, 7, state, elapsed, "calendar", since)  # type: ignore[arg-type]


def test_late_report_leaves_out_a_shipment_on_time_with_nothing_recorded() -> None:
    assert late_now(watch(), shipment(), "on_time", NOW) is None
    assert late_now(watch(), shipment(), "delivered", NOW) is None


def test_late_report_dates_a_late_shipment_from_the_day_it_crossed_the_first_threshold() -> None:
    # More than 21 days have elapsed from 24 March, New York time (shipped 2 March).
    crossed = datetime(2026, 3, 24, 4, 0, tzinfo=UTC)

    assert late_now(watch(), shipment(), "late", NOW) == late_report_row("late", crossed)


def test_late_report_dates_an_escalated_shipment_from_the_second_threshold() -> None:
    crossed = datetime(2026, 4, 2, 4, 0, tzinfo=UTC)
    later = NOW + timedelta(days=5)

    assert late_now(watch(), shipment(), "escalated", later) == late_report_row("escalated", crossed, elapsed=33)


def test_late_report_believes_what_was_recorded_over_the_clock() -> None:
    flagged, opened = NOW - timedelta(days=2), NOW - timedelta(days=1)

    assert late_now(watch(), shipment(flagged_at=flagged), "on_time", NOW) == late_report_row("late", flagged)
    assert late_now(watch(), shipment(case_opened_at=opened), "on_time", NOW) == late_report_row("escalated", opened)


def test_late_report_dates_a_flagged_shipment_now_past_the_second_threshold_from_that_threshold() -> None:
    crossed = datetime(2026, 4, 2, 4, 0, tzinfo=UTC)
    later = NOW + timedelta(days=5)

    assert late_now(watch(), shipment(flagged_at=NOW), "escalated", later) == late_report_row(
        "escalated", crossed, elapsed=33
    )


def test_the_case_tags_the_order_the_shipment_belongs_to() -> None:
    found = judge(watch(), [shipment(flagged_at=NOW)], ["escalated"], NOW)

    assert found.actions == [
        PlannedAction(SHOP, "add_tags", ORDER, {"tags": ["late-delivery-escalated"]}, f"late:{SHOP}:7:escalated")
    ]


def test_a_shipment_with_nothing_due_does_not_stop_the_look_at_the_next_one() -> None:
    found = judge(watch(), [shipment(7), shipment(8)], ["on_time", "late"], NOW)

    assert [flag["fulfillment_id"] for flag in found.flags] == [8]


def test_each_order_gets_a_note_of_its_own_shipments_only() -> None:
    other = shipment(8, order_id=5002)

    found = judge(watch(), [shipment(7), other], ["late", "late"], NOW)

    notes = {action.target: action.params["note"] for action in found.actions if action.action == "set_order_note"}
    assert notes == {ORDER: NOTE, "gid://shopify/Order/5002": NOTE.replace("Shipment 7", "Shipment 8")}


@pytest.mark.parametrize(
    ("company", "numbers", "shown"),
    [
        pytest.param("UPS", ["1Z999AA10123456784", "1Z999AA10123456785"], "UPS 1Z999AA10123456784, 1Z999AA10123456785"),
        pytest.param(None, ["LX123456789CN"], "LX123456789CN"),
        pytest.param("La Poste", None, "La Poste"),
        pytest.param(None, None, None),
    ],
)
def test_tracking_is_the_carrier_then_its_numbers(company: str | None, numbers: list[str] | None, shown: str) -> None:
    assert tracking_text(company, numbers) == shown

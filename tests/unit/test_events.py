"""The event a job works on is the delivery the receiver (a replay, reconciliation) queued, field for field, with
Shopify's times read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.domain.events import Event, parse_time

BODY = '{"id": 820982911946154500, "email": "jon@example.com", "line_items": []}'
PAYLOAD = {"id": 820982911946154500, "email": "jon@example.com", "line_items": []}
QUEUED = {
    "shop": "little-twinkle-stars.myshopify.com",
    "topic": "orders/create",
    "event_id": "8a5e3f0c-7c1e-4a4e-9d0e-2d1a1c0b9f11",
    "webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    "triggered_at": "2026-11-30T07:59:58.123456Z",
    "api_version": "2026-04",
    "received_at": "2026-11-30T08:00:00.500000+00:00",
    "source": "webhook",
    "payload": PAYLOAD,
}
EVENT = Event(
    shop="little-twinkle-stars.myshopify.com",
    topic="orders/create",
    event_id="8a5e3f0c-7c1e-4a4e-9d0e-2d1a1c0b9f11",
    payload=PAYLOAD,
    received_at=datetime(2026, 11, 30, 8, 0, 0, 500000, tzinfo=UTC),
    source="webhook",
    webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    triggered_at=datetime(2026, 11, 30, 7, 59, 58, 123456, tzinfo=UTC),
    api_version="2026-04",
)


def test_a_delivery_queued_by_the_receiver_is_the_event_the_job_works_on() -> None:
    assert Event.from_envelope(QUEUED) == EVENT


def test_a_body_queued_as_a_json_string_is_read_as_the_payload() -> None:
    replayed = {
        **QUEUED,
        "payload": None,
        "body": BODY,
    }

    assert Event.from_envelope(replayed).payload == PAYLOAD


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        pytest.param('{"id": 1180591620717411303424}', {"id": 2**70}, id="an integer beyond 64 bits, digit for digit"),
        pytest.param('{"id": 18446744073709551615}', {"id": 2**64 - 1}, id="the largest unsigned 64-bit integer"),
        pytest.param('{"title": "Star\\u0000light"}', {"title": "Star\x00light"}, id="a NUL escape"),
        pytest.param('{"note": "Livrer apr\\u00e8s 18 h"}', {"note": "Livrer après 18 h"}, id="an escape"),
    ],
)
def test_a_body_is_read_whole_for_the_checks_to_name_what_the_records_cannot_hold(body: str, payload: dict) -> None:
    assert Event.from_envelope({**QUEUED, "body": body}).payload == payload


def test_a_replayed_delivery_says_so() -> None:
    assert Event.from_envelope({**QUEUED, "source": "replay"}).source == "replay"


def test_an_envelope_without_times_or_source_is_a_webhook_received_now() -> None:
    bare = {key: QUEUED[key] for key in ("shop", "topic", "event_id", "payload")}
    before = datetime.now(UTC)

    event = Event.from_envelope(bare)

    assert before <= event.received_at <= datetime.now(UTC)
    assert (event.source, event.webhook_id, event.triggered_at, event.api_version) == ("webhook", None, None, None)


def test_an_event_queued_again_carries_every_field_and_says_where_it_comes_from() -> None:
    assert EVENT.to_envelope(source="replay") == {
        "shop": "little-twinkle-stars.myshopify.com",
        "topic": "orders/create",
        "event_id": "8a5e3f0c-7c1e-4a4e-9d0e-2d1a1c0b9f11",
        "webhook_id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "triggered_at": "2026-11-30T07:59:58.123456+00:00",
        "api_version": "2026-04",
        "received_at": "2026-11-30T08:00:00.500000+00:00",
        "source": "replay",
        "body": BODY,
    }
    assert Event.from_envelope(EVENT.to_envelope()) == EVENT


def test_an_event_without_a_trigger_time_is_queued_again_without_one() -> None:
    reconciled = Event("s.myshopify.com", "orders/paid", "e1", {}, EVENT.received_at, source="reconciliation")

    envelope = reconciled.to_envelope()

    assert (envelope["triggered_at"], envelope["source"]) == (None, "reconciliation")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-11-30T08:00:00Z", datetime(2026, 11, 30, 8, tzinfo=UTC), id="Z"),
        pytest.param("2026-11-30T03:00:00-05:00", datetime(2026, 11, 30, 8, tzinfo=UTC), id="offset"),
        pytest.param("2026-11-30T08:00:00", datetime(2026, 11, 30, 8, tzinfo=UTC), id="naive taken as UTC"),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty"),
    ],
)
def test_shopify_times_are_read_as_aware_utc(value: str | None, expected: datetime | None, host_in_tokyo: None) -> None:
    parsed = parse_time(value)

    assert parsed == expected
    assert parsed is None or (parsed.tzinfo, parsed.hour) == (UTC, 8)

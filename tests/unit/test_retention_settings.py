"""EVENT_RETENTION_DAYS: how long a processed event's payload is kept."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings

BASE = {"SHOPIFY_API_SECRET": "s"}


def test_payloads_are_kept_thirty_days_unless_told():
    assert load_settings(BASE).event_retention_days == 30
    assert load_settings({**BASE, "EVENT_RETENTION_DAYS": "7"}).event_retention_days == 7


@pytest.mark.parametrize(
    "raw, message",
    [
        ("0", "EVENT_RETENTION_DAYS must be at least 1, got 0"),
        ("a month", "EVENT_RETENTION_DAYS must be a whole number, got 'a month'"),
    ],
)
def test_a_retention_that_would_prune_at_once_or_is_not_a_number_is_refused(raw, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({**BASE, "EVENT_RETENTION_DAYS": raw})

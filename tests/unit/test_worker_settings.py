"""The worker's maintenance interval: a minute unless told, never below a second."""

from __future__ import annotations

import pytest

from config.settings import SettingsError, load_settings

BASE = {"SHOPIFY_API_SECRET": "s"}


def test_a_worker_runs_its_maintenance_every_minute_unless_told_otherwise():
    assert load_settings(BASE).worker_maintenance_seconds == 20
    assert load_settings({**BASE, "WORKER_MAINTENANCE_SECONDS": "5"}).worker_maintenance_seconds == 5


def test_a_maintenance_interval_below_one_second_is_refused_with_its_name():
    with pytest.raises(SettingsError, match="WORKER_MAINTENANCE_SECONDS must be at least 1, got 0"):
        load_settings({**BASE, "WORKER_MAINTENANCE_SECONDS": "0"})

"""The five policy files in config/policies load, and the loader names the file when one cannot be used."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import policies
from config.policies import load_policy, store_names
from worker.domain.clock import LateRule
from worker.domain.policy import PolicyError

STORES = ["charms-fr", "layered-jewelry", "little-twinkle-stars", "starlightes", "starlow"]


@pytest.fixture
def policy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(policies, "POLICY_DIR", tmp_path)
    load_policy.cache_clear()
    yield tmp_path
    load_policy.cache_clear()


def test_there_is_one_policy_file_per_store() -> None:
    assert store_names() == STORES


@pytest.mark.parametrize("store", STORES)
def test_every_store_policy_loads_and_is_versioned_by_its_bytes(store: str) -> None:
    policy = load_policy(store)
    digest = hashlib.sha256((policies.POLICY_DIR / f"{store}.toml").read_bytes()).hexdigest()
    assert (policy.name, policy.version) == (store, digest[:16])
    assert (policy.auto_approve, policy.auto_decline) == (False, False)


@pytest.mark.parametrize(
    ("store", "country", "timezone", "late"),
    [
        pytest.param(
            "little-twinkle-stars",
            "US",
            "America/New_York",
            LateRule("business", 21, 30),
            id="little-twinkle-stars: over 21 business days flag, over 30 escalate",
        ),
        pytest.param("charms-fr", "FR", "Europe/Paris", LateRule("business", 21, 30), id="charms-fr: FR calendar"),
        pytest.param(
            "layered-jewelry",
            "US",
            "America/New_York",
            LateRule("calendar", 12, 30),
            id="layered-jewelry: a delivery past the 12-day window is flagged",
        ),
        pytest.param(
            "starlightes", "US", "America/Los_Angeles", LateRule("business", 21, 30), id="starlightes: US calendar"
        ),
        pytest.param(
            "starlow",
            "US",
            "America/Los_Angeles",
            LateRule("business", 21, 30),
            id="starlow: closed weekends and national holidays (US)",
        ),
    ],
)
def test_each_store_has_its_calendar_time_zone_and_late_rule(
    store: str, country: str, timezone: str, late: LateRule
) -> None:
    policy = load_policy(store)
    assert (policy.country, policy.subdivision, policy.timezone, policy.late) == (country, None, timezone, late)


def test_a_policy_is_read_once_per_process() -> None:
    assert load_policy("starlow") is load_policy("starlow")


def test_an_unknown_store_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(PolicyError, match=r"no policy file for store 'nope'.*known: charms-fr"):
        load_policy("nope")


def test_a_path_is_not_a_store_name() -> None:
    with pytest.raises(PolicyError, match="no policy file"):
        load_policy("../policies/starlow")


def test_a_file_that_is_not_toml_is_refused_naming_the_file(policy_dir: Path) -> None:
    (policy_dir / "broken.toml").write_text("[returns\nwindow_days = 14\n")
    with pytest.raises(PolicyError, match=r"broken\.toml: not valid TOML"):
        load_policy("broken")


def test_a_copied_policy_file_loads_under_its_new_name(policy_dir: Path) -> None:
    (policy_dir / "my-shop.toml").write_bytes((Path(policies.__file__).parent / "policies/starlow.toml").read_bytes())
    policy = load_policy("my-shop")
    assert (policy.name, policy.returns.window.days) == ("my-shop", 14)

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
        pytest.param(
            "charms-fr",
            "FR",
            "Europe/Paris",
            LateRule("calendar", 13, 21),
            id="charms-fr: atteindre votre porte dans les prochains 8 à 13 jours: flagged past day 13",
        ),
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


@pytest.mark.parametrize(
    ("store", "flag_words", "case_words", "not_promised"),
    [
        pytest.param(
            "starlow",
            ["not responsible for lost or stolen packages or customs delays"],
            ["carrier", "usps.com/help/claims"],
            ["reship or refund"],
            id="starlow: Starlow is not responsible for shipping deliveries/delays due to customs; "
            "filing a claim through USPS",
        ),
        pytest.param(
            "charms-fr",
            ["8-13 days"],
            ["verify", "reship or refund", "unless the address"],
            [],
            id="charms-fr: colis perdu: réexpédié ou remboursé après vérification, sauf adresse erronée",
        ),
        pytest.param(
            "layered-jewelry",
            ["6-12 day", "investigate"],
            ["reship or refund"],
            [],
            id="layered-jewelry: exceed the estimated 6-12 day window: investigating, then reshipment or refund",
        ),
        pytest.param(
            "little-twinkle-stars",
            ["possibly held at customs"],
            ["look into it"],
            [],
            id="little-twinkle-stars: longer than 21 business days, it could be held at customs; "
            "longer than 30: so we look into it for you",
        ),
    ],
)
def test_each_store_flags_and_escalates_in_its_own_words(
    store: str, flag_words: list[str], case_words: list[str], not_promised: list[str]
) -> None:
    policy = load_policy(store)
    note = policy.late_texts.flag_note(7, "TRACK1", 22, policy.late)
    case = policy.late_texts.case_reason(policy.late)
    assert note.startswith(
        f"Shipment 7 (TRACK1): 22 {policy.late.day_kind} days in transit, over {policy.late.late_after}"
    )
    assert all(words in note for words in flag_words), note
    assert case.startswith(f"in transit over {policy.late.escalate_after} {policy.late.day_kind} days: ")
    assert all(words in case for words in case_words), case
    assert not any(words in case.replace("no reship or refund", "") for words in not_promised), case


def test_charms_fr_says_its_delivery_promise_in_the_flag() -> None:
    policy = load_policy("charms-fr")
    assert "(promised: delivery in 8-13 days)" in policy.late_texts.flag_note(7, None, 14, policy.late)


@pytest.mark.parametrize(
    ("store", "objective"),
    [
        pytest.param(
            "little-twinkle-stars",
            "fastest_per_item",
            id="little-twinkle-stars: fulfilled at the location that can ship it to you the fastest",
        ),
        *(
            pytest.param(store, "fewest_packages", id=f"{store}: silent on splits")
            for store in STORES
            if store != "little-twinkle-stars"
        ),
    ],
)
def test_each_store_splits_by_its_own_objective(store: str, objective: str) -> None:
    assert load_policy(store).split_objective == objective

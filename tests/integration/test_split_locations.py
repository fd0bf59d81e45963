"""The locations file: which locations a shop ships from, read once, refused with a line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.locations import LocationsError, load_locations, locations_for
from config.settings import Settings

US = """id = 655441491
name = "US"
country = "us"
priority = 1
processing_days = 1
transit_days = { us = 4, "*" = 12 }
"""


def test_the_example_file_ships_little_twinkle_stars_from_its_us_and_china_distributors():
    locations = locations_for(Settings(api_secrets=("s",)), "Little-Twinkle-Stars.myshopify.com")

    assert [(location.id, location.country) for location in locations] == [("655441491", "US"), ("655441492", "CN")]
    assert [location.delivery_days("FR") for location in locations] == [13, 9]


def test_a_shop_the_file_does_not_list_has_no_locations_and_so_no_split():
    assert locations_for(Settings(api_secrets=("s",)), "starlow.myshopify.com") == ()


def test_a_location_id_may_be_written_as_a_gid_and_countries_in_any_case(tmp_path: Path):
    path = tmp_path / "locations.toml"
    path.write_text('[[shops."a.myshopify.com"]]\n' + US.replace("655441491", '"gid://shopify/Location/655441491"'))

    (location,) = load_locations(path)["a.myshopify.com"]

    assert (location.id, location.country, location.transit_days) == ("655441491", "US", {"US": 4, "*": 12})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("shops = [", "not valid TOML", id="a broken file"),
        pytest.param('[[shops."a"]]\n' + US.replace("655441491", '"US-1"'), r"shops.a\[0\].id: expected", id="bad id"),
        pytest.param('[[shops."a"]]\n' + US.replace('name = "US"\n', ""), "missing name", id="no name"),
        pytest.param(
            '[[shops."a"]]\n' + US.replace("processing_days = 1", "processing_days = -1"),
            "processing_days: expected a whole number of at least 0",
            id="negative processing days",
        ),
        pytest.param('[[shops."a"]]\n' + US + '[[shops."a"]]\n' + US, "listed twice", id="a location twice"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_field_named(tmp_path: Path, content: str, message: str):
    path = tmp_path / "locations.toml"
    path.write_text(content)

    with pytest.raises(LocationsError, match=message):
        load_locations(path)

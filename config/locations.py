"""The only reader of the locations file: which locations each shop ships from, and how long each takes."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from config.settings import Settings
from worker.domain.split import Location

DEFAULT_LOCATIONS_FILE = Path(__file__).resolve().parent / "locations.toml"


class LocationsError(ValueError):
    """The locations file cannot be used; the message names the file, the shop and the field."""


def locations_for(settings: Settings, shop: str) -> tuple[Location, ...]:
    """The shop's locations, or none when the file does not list the shop (its orders are then not split)."""
    return load_locations(settings.locations_file or DEFAULT_LOCATIONS_FILE).get(shop.lower(), ())


@cache
def load_locations(path: Path) -> dict[str, tuple[Location, ...]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise LocationsError(f"{path}: cannot read: {error.strerror}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise LocationsError(f"{path}: not valid TOML: {error}") from None
    shops = data.get("shops", {})
    if not isinstance(shops, Mapping):
        raise LocationsError(f"{path}: shops must be a table of shop domains")
    parsed = {}
    for shop, entries in shops.items():
        if not isinstance(entries, list):
            raise LocationsError(f'{path}: shops.{shop} must be a list of locations ([[shops."{shop}"]])')
        locations = tuple(_location(entry, f"{path}: shops.{shop}[{index}]") for index, entry in enumerate(entries))
        ids = [location.id for location in locations]
        if len(set(ids)) != len(ids):
            raise LocationsError(f"{path}: shops.{shop}: a location is listed twice")
        parsed[shop.lower()] = locations
    return parsed


def _location(entry: Any, where: str) -> Location:
    if not isinstance(entry, Mapping):
        raise LocationsError(f"{where}: expected a table")
    transit = _field(entry, "transit_days", Mapping, where)
    ships = entry.get("ships", True)
    if not isinstance(ships, bool):
        raise LocationsError(f"{where}.ships: expected true or false")
    return Location(
        id=_location_id(entry.get("id"), f"{where}.id"),
        name=_text(entry, "name", where),
        country=_text(entry, "country", where).upper(),
        priority=_whole(entry, "priority", where, minimum=None),
        processing_days=_whole(entry, "processing_days", where),
        transit_days={country.upper(): _whole(transit, country, f"{where}.transit_days") for country in transit},
        ships=ships,
    )


def _location_id(value: Any, where: str) -> str:
    """Shopify location ids as the adapter reports them: the bare number, whether written as a number or a gid."""
    text = str(value).rsplit("/", 1)[-1] if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise LocationsError(f"{where}: expected a Shopify location id (a number or gid://shopify/Location/<n>)")
    return str(int(text))


def _field(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in entry:
        raise LocationsError(f"{where}: missing {key}")
    if not isinstance(entry[key], kind):
        raise LocationsError(f"{where}.{key}: expected a {'table' if kind is Mapping else kind.__name__}")
    return entry[key]


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = _field(entry, key, str, where)
    if not value.strip():
        raise LocationsError(f"{where}.{key}: must not be empty")
    return value


def _whole(entry: Mapping[str, Any], key: str, where: str, minimum: int | None = 0) -> int:
    value = _field(entry, key, int, where)
    if isinstance(value, bool) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" of at least {minimum}"
        raise LocationsError(f"{where}.{key}: expected a whole number{bound}, got {value!r}")
    return int(value)

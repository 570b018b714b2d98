"""Near-duplicate photos: exact copies, re-encodes, resized or slightly cropped copies, bursts.

Two photos are near-duplicates when both their embeddings and their perceptual
hashes agree: the embedding alone also pairs different photos of one scene,
the hash alone also pairs unrelated photos with the same light-and-dark layout.
Candidate pairs come from the embeddings, compared only within k-means cells
(each photo with those of its two nearest cells), so 100,000 photos cost
seconds of matrix products rather than 5 billion comparisons
(benchmarks/bench_duplicates.py). Groups are the connected pairs; each group's
keeper is its largest photo, then the sharpest, then one with EXIF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from photofinder.records import Photo

# A pair is a duplicate when its cosine similarity is at least the first value and its
# hashes differ in at most the second number of bits (of 64). On the generated set of
# tests/duplicate_set.py (tiny model), copies were within cosine 0.917 and 14 bits, while
# distinct photos came as near as 12 bits (at cosine 0.78) or cosine 0.999 (at 26 bits).
PAIR_RULES = ((0.88, 12), (0.95, 16))
MIN_COSINE = min(cosine for cosine, _ in PAIR_RULES)
EXACT_ROWS = 4096  # up to this many photos, every pair is compared
KMEANS_ITERATIONS = 4  # cells only narrow the search: rough ones cost time, not pairs
KMEANS_SAMPLE_PER_CELL = 16
# A near-duplicate of the keeper that is at least this sharp counts as sharp as it.
SHARPNESS_TOLERANCE = 0.85


@dataclass(frozen=True)
class DuplicateGroup:
    """Photos that show the same picture; ``photos[0]`` is the one to keep."""

    photos: tuple[Photo, ...]

    @property
    def keeper(self) -> Photo:
        return self.photos[0]

    @property
    def extras(self) -> tuple[Photo, ...]:
        return self.photos[1:]

    @property
    def reclaimable_bytes(self) -> int:
        return sum(p.size for p in self.extras)


def duplicate_groups(rows: pa.Table) -> list[DuplicateGroup]:
    """Groups among ``rows`` (the store's ``likeness_rows``; rows without a hash are left
    out), newest keeper first."""
    from photofinder.store import photos_from_arrow

    rows = rows.filter(rows.column("phash").is_valid())
    if rows.num_rows < 2:
        return []
    column = rows.column("vector").combine_chunks()
    vectors = column.values.to_numpy().reshape(len(column), -1).astype(np.float32, copy=False)
    hashes = rows.column("phash").to_numpy()
    groups = []
    for members in group_indices(len(rows), duplicate_pairs(hashes, vectors)):
        photos = photos_from_arrow(rows.take(pa.array(members)))
        groups.append(DuplicateGroup(tuple(keeper_first(photos))))
    return sorted(groups, key=lambda g: (g.keeper.taken_at, g.keeper.path), reverse=True)


def keeper_first(photos: Sequence[Photo]) -> list[Photo]:
    """The photos, best to keep first: the most pixels, then the sharpest (within a
    tolerance, so JPEG noise in a re-encode does not beat the original), then with EXIF,
    then the biggest file, then the oldest file."""
    def sharp(p: Photo) -> float:
        return p.likeness.sharpness if p.likeness else 0.0

    most_pixels = max(p.width * p.height for p in photos)
    best_sharpness = max(sharp(p) for p in photos if p.width * p.height == most_pixels)

    def rank(p: Photo):
        sharp_enough = sharp(p) >= SHARPNESS_TOLERANCE * best_sharpness
        has_exif = bool(p.likeness and p.likeness.has_exif)
        return (-p.width * p.height, not sharp_enough, -sharp(p) if not sharp_enough else 0,
                not has_exif, -p.size, p.mtime_ns, p.path)

    return sorted(photos, key=rank)


def duplicate_pairs(hashes: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """(m, 2) row indices of near-duplicate pairs, from int64 hashes and unit vectors."""
    with threadpool_limits(1):  # many small products: BLAS threads only wait on each other
        pairs, cosines = close_vector_pairs(vectors, MIN_COSINE)
    if not len(pairs):
        return pairs
    bits = np.bitwise_count((hashes[pairs[:, 0]] ^ hashes[pairs[:, 1]]).view(np.uint64))
    keep = np.zeros(len(pairs), dtype=bool)
    for min_cosine, max_bits in PAIR_RULES:
        keep |= (cosines >= min_cosine) & (bits <= max_bits)
    return pairs[keep]


def close_vector_pairs(vectors: np.ndarray, min_cosine: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of unit vectors whose cosine is at least ``min_cosine``, and those cosines.

    Beyond EXACT_ROWS, each vector belongs to its nearest k-means cell and is compared with
    the members of its nearest two: a pair split by a cell boundary is still found. About
    2 sqrt(n) cells balance the cost of placing the vectors against that of comparing them."""
    count = len(vectors)
    if count <= EXACT_ROWS:
        return _pairs_between(vectors, np.arange(count), np.arange(count), min_cosine)
    cells = _nearest_cells(vectors, _spherical_kmeans(vectors, round(2 * np.sqrt(count))))
    members = _by_cell(cells[:, 0])
    visitors = _by_cell(cells[:, 1])
    found = [_pairs_between(vectors, rows, rows, min_cosine) for rows in members.values()]
    found += [_pairs_between(vectors, rows, members[cell], min_cosine)
              for cell, rows in visitors.items() if cell in members]
    pairs = np.concatenate([p for p, _ in found])
    cosines = np.concatenate([c for _, c in found])
    _, first = np.unique(pairs[:, 0] * count + pairs[:, 1], return_index=True)
    return pairs[first], cosines[first]


def _by_cell(cells: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(cells, kind="stable")
    bounds = np.flatnonzero(np.diff(cells[order])) + 1
    return {int(cells[rows[0]]): rows for rows in np.split(order, bounds)}


def _pairs_between(vectors: np.ndarray, left: np.ndarray, right: np.ndarray,
                   min_cosine: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of a row in ``left`` and a row in ``right`` (each pair once, smaller index first)."""
    similarity = vectors[left] @ vectors[right].T
    close = similarity >= min_cosine
    if left is right:
        close = np.triu(close, k=1)
    i, j = np.nonzero(close)
    a, b = left[i], right[j]
    return np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), similarity[i, j]


def _spherical_kmeans(vectors: np.ndarray, cells: int) -> np.ndarray:
    """Cell centres from a sample of the vectors (numpy, so the CLI never imports torch)."""
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(len(vectors), min(len(vectors), cells * KMEANS_SAMPLE_PER_CELL),
                                replace=False)]
    centres = sample[rng.choice(len(sample), cells, replace=False)]
    for _ in range(KMEANS_ITERATIONS):
        nearest = np.argmax(sample @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)
    return centres


def _nearest_cells(vectors: np.ndarray, centres: np.ndarray, chunk: int = 16_384) -> np.ndarray:
    """(n, 2): the nearest cell of each vector, and the next nearest."""
    cells = np.empty((len(vectors), 2), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        scores = vectors[start:start + chunk] @ centres.T
        top = np.argpartition(-scores, 1, axis=1)[:, :2]
        swap = np.take_along_axis(scores, top[:, :1], 1) < np.take_along_axis(scores, top[:, 1:], 1)
        cells[start:start + chunk] = np.where(swap, top[:, ::-1], top)
    return cells


def group_indices(count: int, pairs: np.ndarray) -> list[list[int]]:
    """Connected components of the pairs with more than one member (union-find)."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in pairs.tolist():
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in np.unique(pairs).tolist():
        groups.setdefault(root(i), []).append(i)
    return [members for members in groups.values() if len(members) > 1]

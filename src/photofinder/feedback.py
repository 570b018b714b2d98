"""Feedback that learns: ratings of results re-rank that search at once, and later
searches for something similar.

Ratings (1-10, kept in the user store with the query's text and vector) move the
query vector toward the photos rated good and away from those rated bad (Rocchio's
relevance feedback). A rating counts for its own query and, weighed by how alike
the two queries are, for any query whose vector is close to it.

A query id names what was searched (``query_runner.query_id``). ``RecentQueries``
remembers the last few hundred, so ``photofinder feedback QUERY_ID …``, run after a
``photofinder search`` in another process, knows what that query was.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from photofinder.atomic_file import write_json_atomically
from photofinder.query import ImagePart, Query, parse_query
from photofinder.user_data import Feedback

log = logging.getLogger("photofinder.feedback")

GOOD = 10  # what a thumbs-up in the window records
BAD = 1  # a thumbs-down
NEUTRAL_RATING = 5.5  # ratings above it ask for more like the photo, below it for less
SIMILAR_QUERY = 0.9  # cosine between query vectors from which feedback carries over
TOWARD_GOOD, AWAY_FROM_BAD = 0.75, 0.25  # Rocchio's beta and gamma (alpha = 1)
RECENT_QUERIES = 500


def learned_vector(vector: np.ndarray, query_id: str, ratings: Sequence[Feedback],
                   photo_vector: Callable[[str], np.ndarray | None]) -> np.ndarray:
    """The query vector moved by the ratings that concern this query (unit length)."""
    good, bad = [], []
    for rating in ratings:
        alike = 1.0 if rating.query_id == query_id else _cosine(vector, rating.vector)
        if alike < SIMILAR_QUERY:
            continue
        photo = photo_vector(rating.path)
        if photo is None:
            continue
        strength = alike * (rating.rating - NEUTRAL_RATING) / (10 - NEUTRAL_RATING)
        (good if strength > 0 else bad).append((abs(strength), photo))
    if not good and not bad:
        return vector
    moved = vector.astype(np.float32).copy()
    for group, share in ((good, TOWARD_GOOD), (bad, -AWAY_FROM_BAD)):
        if group:
            weights = np.array([w for w, _ in group], dtype=np.float32)
            centre = (weights[:, None] * np.stack([v for _, v in group])).sum(0) / weights.sum()
            moved += share * centre
    return moved / max(float(np.linalg.norm(moved)), 1e-12)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    if b.size != a.size:  # feedback given with another model
        return 0.0
    return float(a @ b / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12))


class RecentQueries:
    """The latest queries by id (text and image files), in a small JSON file in the data
    folder: a cache, rebuilt by searching; queries with pasted image data are not kept."""

    def __init__(self, path: Path):
        self.path = path

    def remember(self, query_id: str, query: Query) -> None:
        if any(isinstance(i.source, bytes) for i in query.images):
            return
        entries = self._read()
        entry = {"text": query.to_text(), "images": [i.source for i in query.images]}
        if entries.get(query_id) == entry:
            return
        entries.pop(query_id, None)
        entries[query_id] = entry
        entries = dict(list(entries.items())[-RECENT_QUERIES:])
        try:
            write_json_atomically(self.path, entries)
        except OSError as exc:
            log.warning("cannot remember the query in %s: %s", self.path, exc)

    def find(self, query_id: str) -> Query | None:
        entry = self._read().get(query_id)
        if entry is None:
            return None
        return parse_query(entry["text"]).with_images(ImagePart(i) for i in entry["images"])

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

"""Runs a parsed ``Query`` on the library: one implementation for every face.

The wanted parts (text, weighted text, required text, images) are mixed into one
query vector; a required part also gates the results (a photo must match it on its
own), an excluded part gates them the other way. Scores are cut at the calibrated
bar (``relevance``); what falls below it is counted, not shown, unless asked for.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from photofinder.config import absolute_path
from photofinder.errors import NotFoundError, QueryError
from photofinder.query import ImagePart, Query, Role
from photofinder.records import Gate, SearchHit
from photofinder.relevance import DEFAULT_STRICTNESS, Calibration, mixed_bar

if TYPE_CHECKING:
    from photofinder.embedder import Embedder
    from photofinder.store import PhotoStore

MAX_K = 1000


@dataclass(frozen=True)
class SearchResult:
    """What a search found, and what it left out."""

    query_id: str  # the same query on the same model always gets the same id
    query: Query
    hits: tuple[SearchHit, ...]
    weaker: int = 0  # hits below the relevance bar among the k best, hidden (not asked for)
    strong: int = 0  # hits at or above the bar (all of them when there is no bar)
    threshold: float | None = None  # the bar (None: too few photos to calibrate)
    indexed: int = 0  # photos in the index; 0 means nothing indexed yet
    folders: tuple[str, ...] = ()  # the resolved folder scope (explicit, auto or both)
    auto_folders: tuple[str, ...] = field(default=())  # folders the text named, scoping it


@dataclass(frozen=True)
class Composed:
    """A query as vectors: the ranking vector, its bar, and the gates of +/- parts."""

    vector: np.ndarray
    bar: float | None
    gates: tuple[Gate, ...]
    exclude_paths: frozenset[str]


def query_id(model_id: str, query: Query) -> str:
    digest = hashlib.sha256(f"{model_id}\n{query.to_text()}".encode())
    for image in query.images:
        source = image.source if isinstance(image.source, bytes) else absolute_path(image.source)
        digest.update(b"\0" + (source if isinstance(source, bytes) else source.encode()))
    return digest.hexdigest()[:16]


def compose(query: Query, embedder: "Embedder", store: "PhotoStore",
            calibration: Calibration | None, strictness: int = DEFAULT_STRICTNESS) -> Composed:
    """The vectors and bars of a query (embeds its texts; query images that are indexed
    reuse their stored vectors)."""
    if query.is_empty:
        if query.parts:
            raise QueryError("say what to look for, not only what to leave out (e.g. circle -red)")
        raise QueryError("the search text is empty")
    texts = [p.text for p in query.parts]
    text_vectors = embedder.embed_texts(texts) if texts else np.zeros((0, store.dimension))
    plain, in_context = _in_context(query, embedder)
    image_vectors = [_vector_for(image.source, embedder, store) for image in query.images]
    text_bar = calibration.text[strictness] if calibration else None
    image_bar = calibration.image[strictness] if calibration else None
    wanted = [(v, i.weight, image_bar) for v, i in zip(image_vectors, query.images)]
    wanted += [(v, p.weight, text_bar) for v, p in _ranking_texts(query, text_vectors, embedder)]
    vector = np.sum([w * v for v, w, _ in wanted], axis=0)
    vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    bar = mixed_bar(wanted) if calibration is not None else None
    gates = _gates(query, text_vectors, plain, in_context, calibration)
    exclude_paths = frozenset(absolute_path(i.source) for i in query.images
                              if isinstance(i.source, str))
    return Composed(vector.astype(np.float32), bar, gates, exclude_paths)


def _ranking_texts(query: Query, text_vectors: np.ndarray, embedder: "Embedder"):
    """(vector, part) of the text that ranks: the +words join the plain description
    ("circle +red" ranks as "red circle"); without one, each +part ranks on its own."""
    required = [p.text for p in query.parts if p.role == Role.REQUIRE]
    main = next((p for p in query.parts if p.role == Role.WANT and not p.quoted
                 and p.weight == 1.0), None)
    for vector, part in zip(text_vectors, query.parts):
        if part is main and required:
            text = part.text
            for word in required:
                text = _with_word(text, word)
            yield embedder.embed_texts([text])[0], part
        elif part.role == Role.WANT or part.role == Role.REQUIRE and main is None:
            yield vector, part


def _in_context(query: Query, embedder: "Embedder") -> tuple[np.ndarray | None, dict[int, np.ndarray]]:
    """The description (the plain parts) and, per +/- part, the description with that word."""
    context = " ".join(p.text for p in query.parts if p.role == Role.WANT)
    gated = [i for i, p in enumerate(query.parts) if p.role != Role.WANT]
    if not context or not gated:
        return None, {}
    plain, *with_words = embedder.embed_texts(
        [context] + [_with_word(context, query.parts[i].text) for i in gated])
    return plain, dict(zip(gated, with_words))


def _gates(query: Query, text_vectors: np.ndarray, plain: np.ndarray | None,
           in_context: dict[int, np.ndarray], calibration: Calibration | None) -> tuple[Gate, ...]:
    """A +part keeps, a -part drops, the photos that the description with that word fits
    better than the description alone ("circle -red": photos "red circle" describes better
    than "circle"), a contrast that needs no threshold; and the description with the word
    must match outright (+), or must not (-), at the loosest bar. Without a description
    (images only), the part alone is held against that bar."""
    loose = calibration.text[min(calibration.text)] if calibration is not None else None
    gates = []
    for i, (v, part) in enumerate(zip(text_vectors, query.parts)):
        if part.role == Role.WANT:
            continue
        keep = part.role == Role.REQUIRE
        if i in in_context:
            gates.append(Gate(in_context[i] - plain, 0.0, above=keep))
        if loose is not None:
            gates.append(Gate(in_context.get(i, v), loose, above=keep))
    return tuple(gates)


def _with_word(description: str, word: str) -> str:
    """"a circle" + "red" -> "a red circle": the word goes where an adjective would."""
    first, _, rest = description.partition(" ")
    if first.lower() in ("a", "an", "the") and rest:
        return f"{first} {word} {rest}"
    return f"{word} {description}"


def check_k(k: int) -> int:
    if not 1 <= k <= MAX_K:
        raise QueryError(f"-k must be between 1 and {MAX_K}, not {k}")
    return k


def _vector_for(image: str | bytes, embedder: "Embedder", store: "PhotoStore") -> np.ndarray:
    """A query image's vector: stored if the file is indexed, else embedded now."""
    from photofinder.indexing.images import load_image, load_image_bytes
    from photofinder.errors import ImageError

    if isinstance(image, bytes):
        name = "the dropped image data"
        load = lambda: load_image_bytes(image, embedder.input_size)  # noqa: E731
    else:
        name = absolute_path(image)
        stored = store.vector_of(name)
        if stored is not None:
            return stored
        if not os.path.exists(name):
            raise NotFoundError(f"no such file: {name}")
        load = lambda: load_image(name, embedder.input_size)  # noqa: E731
    try:
        loaded = load()
    except ImageError as exc:
        raise QueryError(f"cannot use {name} as a query: {exc}") from exc
    return embedder.embed_images([loaded.image])[0]


def images_query(images: Sequence[str | bytes], weights: Sequence[float] | None = None) -> Query:
    """A query of images alone (``similar``, a drop on the window)."""
    weights = weights or [1.0] * len(images)
    return Query(images=tuple(ImagePart(i, weight=w) for i, w in zip(images, weights)))

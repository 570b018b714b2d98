"""Where a match ends: the score a photo needs to count as matching a query.

Cosine scores mean different things for different models (text to image scores of
0.3 are strong for one CLIP, weak for another), so the cut-off is measured, not
assumed. Once per model (and again when the library has doubled or halved), a set
of neutral captions that describe nothing a photo shows is scored against a sample
of the library: the score such a caption reaches for only a small share of the
photos is the bar a real text query must clear. Query images get their own bar,
from the scores of random pairs of photos. The figures are kept in the data folder.

A query made of several parts (weighted text, images) gets the bar of its parts,
mixed as the parts are: sum(w_i * bar_i) / |sum(w_i * v_i)|.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from photofinder.atomic_file import write_json_atomically

log = logging.getLogger("photofinder.relevance")

VERSION = 1
MIN_PHOTOS = 20  # fewer photos say too little about the scores: no cut-off
SAMPLE_PHOTOS = 4000
IMAGE_PAIRS = 20_000
# Captions that describe no photo: nonsense, and things that are not visual.
NEUTRAL_CAPTIONS = (
    "xqzv invoice spreadsheet", "lorem ipsum dolor sit amet", "asdf qwerty zxcv",
    "the tax code of 1986", "a theorem about prime numbers", "an email about a meeting",
    "terms and conditions apply", "kjh gfd sapoiu", "the password is wrong",
    "a quarterly earnings report", "zzzz", "version 2.3.1 release notes",
    "the derivative of a function", "please reply by friday", "mmm hmm uh",
    "an abstract noun", "syntax error near line 4", "vbnm poiuy trewq",
    "the history of accounting", "a list of phone numbers",
)
# Strictness 1 (loose) to 5 (strict): the share of photos a neutral caption may still
# reach. Image queries have a bar of their own, from pairs of unrelated photos.
TEXT_QUANTILES = {1: 0.98, 2: 0.99, 3: 0.995, 4: 0.998, 5: 0.9995}
IMAGE_QUANTILES = {1: 0.9, 2: 0.95, 3: 0.98, 4: 0.99, 5: 0.995}
DEFAULT_STRICTNESS = 3


@dataclass(frozen=True)
class Calibration:
    """Per strictness level, the text and image bars of one model on one library."""

    model_id: str
    photos: int  # library size when measured
    text: dict[int, float]
    image: dict[int, float]
    version: int = VERSION

    def stale_for(self, photos: int) -> bool:
        return self.version != VERSION or not (self.photos / 2 < photos < self.photos * 2)


def calibrate(model_id: str, photos: int, library_vectors: np.ndarray,
              embed_texts: Callable[[list[str]], np.ndarray]) -> Calibration:
    """Measure the bars on a sample of the library's ``photos`` vectors (float32, unit)."""
    texts = np.asarray(embed_texts(list(NEUTRAL_CAPTIONS)), dtype=np.float32)
    text_scores = (library_vectors @ texts.T).ravel()
    rng = np.random.default_rng(0)
    n = len(library_vectors)
    a, b = rng.integers(0, n, IMAGE_PAIRS), rng.integers(0, n, IMAGE_PAIRS)
    distinct = a != b
    image_scores = np.einsum("ij,ij->i", library_vectors[a[distinct]], library_vectors[b[distinct]])
    return Calibration(
        model_id, photos,
        {level: float(np.quantile(text_scores, q)) for level, q in TEXT_QUANTILES.items()},
        {level: float(np.quantile(image_scores, q)) for level, q in IMAGE_QUANTILES.items()})


def mixed_bar(parts: Sequence[tuple[np.ndarray, float, float]]) -> float:
    """The bar of a query made of (unit vector, weight, bar of that part) parts."""
    total = np.sum([weight * vector for vector, weight, _ in parts], axis=0)
    norm = float(np.linalg.norm(total))
    return sum(weight * bar for _, weight, bar in parts) / max(norm, 1e-12)


class CalibrationFile:
    """The calibrations of every model, in one small JSON file of the data folder."""

    def __init__(self, path: Path):
        self.path = path

    def load(self, model_id: str) -> Calibration | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8")).get(model_id)
            if raw is None:
                return None
            return Calibration(raw["model_id"], raw["photos"],
                               {int(k): v for k, v in raw["text"].items()},
                               {int(k): v for k, v in raw["image"].items()}, raw["version"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("relevance calibration %s unreadable (%s); measuring again", self.path, exc)
            return None

    def save(self, calibration: Calibration) -> None:
        """Atomic replace; a failure only costs measuring again next time."""
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        stored[calibration.model_id] = asdict(calibration)
        try:
            write_json_atomically(self.path, stored, indent=2)
        except OSError as exc:
            log.warning("cannot save the relevance calibration to %s: %s", self.path, exc)

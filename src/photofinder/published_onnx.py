"""A model's published ONNX export, as the torch-free install runs it.

Immich publishes open_clip models as ONNX files on the Hugging Face Hub, one
repository per model (``immich-app/ARCH__PRETRAINED``): open_clip's ``config.json``,
``visual/model.onnx`` with ``visual/preprocess_cfg.json``, and ``textual/model.onnx``
with the Hugging Face form of CLIP's tokenizer (``textual/tokenizer.json``). Both
towers take one input at a time (batch 1) and return unit vectors. ``weights``
downloads the folder; the embedder runs the image tower through ``backends`` and the
text tower here: CLIP's tokenizer (``clip_tokenizer``, fed the merges of
``tokenizer.json``) and ONNX Runtime.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from photofinder.atomic_file import write_atomically
from photofinder.backends import ort_session, unit_rows
from photofinder.clip_tokenizer import MERGES, VOCAB_FILE, ClipTokenizer
from photofinder.errors import ModelError

CONFIG_FILE = "config.json"
IMAGE_MODEL = "visual/model.onnx"
IMAGE_PREPROCESS = "visual/preprocess_cfg.json"
TEXT_MODEL = "textual/model.onnx"
TOKENIZER = "textual/tokenizer.json"
FILES = (CONFIG_FILE, IMAGE_PREPROCESS, IMAGE_MODEL, TEXT_MODEL, TOKENIZER)
MERGES_HEADER = "#version: 0.2"  # the first line of CLIP's vocabulary file


def read_json(folder: Path, name: str) -> dict:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {folder / name}: {exc}; delete {folder} to download "
                         f"it again") from exc


def vocabulary_from_tokenizer(folder: Path) -> Path:
    """CLIP's vocabulary file (gzipped merges) made once from ``tokenizer.json``'s BPE
    merges, beside it: the same merges, in the form ``ClipTokenizer`` reads."""
    target = folder / "textual" / VOCAB_FILE
    if target.is_file():
        return target
    merges = read_json(folder, TOKENIZER).get("model", {}).get("merges") or []
    lines = [m if isinstance(m, str) else " ".join(m) for m in merges[:MERGES]]
    if len(lines) < MERGES:
        raise ModelError(f"{folder / TOKENIZER} is not CLIP's tokenizer ({len(lines)} merges)")
    write_atomically(target, gzip.compress("\n".join([MERGES_HEADER, *lines, ""]).encode("utf-8")),
                     durable=False)
    return target


class PublishedTextTower:
    """Texts -> unit vectors through the export's ``textual/model.onnx``."""

    def __init__(self, folder: Path):
        config = read_json(folder, CONFIG_FILE)
        self.dimension = int(config["embed_dim"])
        self.context_length = int(config["text_cfg"].get("context_length", 77))
        self.tokenizer = ClipTokenizer(self.context_length, vocabulary_from_tokenizer(folder))
        self.session = ort_session(folder / TEXT_MODEL)
        wanted = self.session.get_inputs()[0]
        self._input = wanted.name
        self._dtype = np.int64 if "int64" in wanted.type else np.int32

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            ids = self.tokenizer(text)
            ids = np.array([ids + [0] * (self.context_length - len(ids))], self._dtype)
            rows.append(self.session.run(None, {self._input: ids})[0][0])
        if not rows:
            return np.zeros((0, self.dimension), np.float32)
        return unit_rows(np.stack(rows))

"""Turns photos and text into unit vectors in one shared space (open_clip).

torch and open_clip are imported only when the model is first needed, so the
window and the CLI's quick commands start without paying for them. Text queries
do not need them at all once the model has been loaded once: its text half is
saved for numpy (``text_tower``), and a search after launch uses that.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from photofinder.errors import ModelError, PhotofinderError
from photofinder.hardware import Placement, cpu_name, pick_placement
from photofinder.memory import return_freed_memory
from photofinder.records import ModelInfo
from photofinder.text_tower import TextTower, export as export_text_tower

if TYPE_CHECKING:
    import torch
    from PIL import Image

log = logging.getLogger("photofinder.embed")

MODEL_CONFIG_DIR = Path(__file__).with_name("model_configs")
RANDOM_WEIGHTS = "random"  # benchmarks only: compute cost does not depend on the weights
MIN_AGREEMENT = 0.999  # cosine between reduced-precision and fp32 embeddings
PRECISION_CHECKS_FILE = "precision-checks.json"  # in the models folder
TEXT_TOWERS_DIR = "text-towers"  # in the models folder, one subfolder per model id
# torch.nn.init functions that fill a fresh parameter: no-ops while a weights file loads.
INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                  "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                  "orthogonal_")

# open_clip's text attributes: CLIP's own, or CustomTextCLIP's `text` module
TEXT_HALF = ("text", "transformer", "token_embedding", "positional_embedding", "ln_final",
             "text_projection", "attn_mask")

ProgressCallback = Callable[[int, "int | None"], None]


def register_model_configs() -> None:
    """Make the project's own model configs (the tiny test model) known to open_clip."""
    import open_clip

    if MODEL_CONFIG_DIR.is_dir() and not getattr(register_model_configs, "done", False):
        open_clip.add_model_config(MODEL_CONFIG_DIR)
        register_model_configs.done = True


@lru_cache(maxsize=None)
def model_config(arch: str) -> dict:
    """An architecture's open_clip config, read from its JSON file without importing
    open_clip (and torch): the window needs the vector size to open the index at once."""
    spec = importlib.util.find_spec("open_clip")
    folders = [MODEL_CONFIG_DIR]
    if spec and spec.submodule_search_locations:
        folders += [Path(p) / "model_configs" for p in spec.submodule_search_locations]
    for folder in folders:
        path = folder / f"{arch}.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    raise ModelError(f"unknown model '{arch}'; see `open_clip.list_models()` for names")


def embedding_dimension(arch: str) -> int:
    return int(model_config(arch)["embed_dim"])


@dataclass(frozen=True)
class ModelSpec:
    """Which model to use: an open_clip architecture plus a pretrained tag or a weights file."""

    arch: str
    pretrained: str = ""
    weights: str = ""

    @property
    def model_id(self) -> str:
        """Stored with every vector; a different id means the vectors must be re-made."""
        if self.weights:
            from photofinder.indexing.fingerprint import fingerprint

            path = Path(self.weights).expanduser()
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise ModelError(f"weights file not found: {path}") from exc
            return f"{self.arch}/file-{fingerprint(path, size)[:16]}"
        return f"{self.arch}/{self.pretrained or RANDOM_WEIGHTS}"


class Embedder:
    """Loads the model lazily (once, thread-safe) and embeds batches."""

    def __init__(self, spec: ModelSpec, models_dir: Path, placement: Placement | None = None):
        self.spec = spec
        self.models_dir = models_dir
        self._placement = placement
        self._lock = threading.Lock()
        self._model = None
        self._tokenizer = None
        self._preprocess = None
        self._dtype = None
        self._text_tower: TextTower | None = None
        self.info: ModelInfo | None = None

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def is_ready_for_text(self) -> bool:
        return self._text_tower is not None or self._model is not None

    @property
    def text_tower_folder(self) -> Path | None:
        """Where this model's text half is saved for numpy; random weights differ at every
        start, so theirs is never saved."""
        if self.spec.pretrained == RANDOM_WEIGHTS and not self.spec.weights:
            return None
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.spec.model_id)
        return self.models_dir / TEXT_TOWERS_DIR / name

    def prepare_for_text(self, progress: ProgressCallback | None = None,
                         cancel: Callable[[], bool] | None = None) -> None:
        """Make text queries possible as cheaply as can be: the saved text tower if there
        is one (no torch), else the whole model (which saves the tower for next time)."""
        with self._lock:
            if self.is_ready_for_text:
                return
            folder = self.text_tower_folder
            self._text_tower = TextTower.open(folder) if folder else None
        if self._text_tower is None:
            self.load(progress, cancel)

    @property
    def batch_size(self) -> int:
        return (self._placement or pick_placement()).batch_size

    def load(self, progress: ProgressCallback | None = None,
             cancel: Callable[[], bool] | None = None) -> ModelInfo:
        """Build the model with its weights (downloading them on first use)."""
        with self._lock:
            if self.info is not None:
                return self.info
            started = time.perf_counter()
            weights = self._resolve_weights(progress, cancel)
            placement = self._placement or pick_placement()
            known = self._remembered_agreement(placement)
            tower_folder = self.text_tower_folder
            if self._text_tower is None and tower_folder is not None:
                self._text_tower = TextTower.open(tower_folder)
            needs_tower = self._text_tower is None and tower_folder is not None
            # The text tower is saved from fp32 weights: no early cast until it exists.
            cast_early = (known or 0) >= MIN_AGREEMENT and not needs_tower
            model, preprocess, tokenizer = self._build(
                weights, _reduced_dtype(placement) if cast_early else None)
            if needs_tower and export_text_tower(model, tokenizer, tower_folder):
                self._text_tower = TextTower.open(tower_folder)
            if self._text_tower is not None:
                _drop_text_half(model)
                tokenizer = None
            model, placement = self._place(model, placement, known)
            self._model, self._preprocess, self._tokenizer = model, preprocess, tokenizer
            self.info = ModelInfo(
                model_id=self.spec.model_id, device=placement.device,
                precision=placement.precision, dimension=embedding_dimension(self.spec.arch),
            )
            self._placement = placement
            return_freed_memory()  # the fp32 weights read from the file
            log.info("model %s ready on %s in %s (%.1f s)", self.info.model_id,
                     placement.device, placement.precision, time.perf_counter() - started)
            return self.info

    # --- embedding -----------------------------------------------------------

    def preprocess(self, image: "Image.Image") -> "torch.Tensor":
        """PIL image -> model input tensor; thread-safe, runs in decode workers."""
        if self._preprocess is None:
            self.load()
        return self._preprocess(_central_band(image))

    @property
    def input_size(self) -> int:
        """The shortest side the model looks at; decoders may reduce photos to it."""
        size = model_config(self.spec.arch)["vision_cfg"].get("image_size", 224)
        return max(size) if isinstance(size, (tuple, list)) else int(size)

    def embed_tensors(self, batch: "torch.Tensor") -> np.ndarray:
        import torch

        self.load()
        with torch.inference_mode():
            x = batch.to(self._placement.device, dtype=self._dtype)
            features = self._model.encode_image(x)
        return _normalised(features)

    def embed_images(self, images: Sequence["Image.Image"]) -> np.ndarray:
        import torch

        if not images:
            return np.zeros((0, self.info.dimension if self.info else 0), np.float32)
        return self.embed_tensors(torch.stack([self.preprocess(im) for im in images]))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.prepare_for_text()
        if self._text_tower is not None:
            return self._text_tower.embed(texts)
        import torch

        with torch.inference_mode():
            tokens = self._tokenizer(list(texts)).to(self._placement.device)
            features = self._model.encode_text(tokens)
        return _normalised(features)

    # --- loading -------------------------------------------------------------

    def _resolve_weights(self, progress, cancel) -> str | None:
        if self.spec.weights:
            path = Path(self.spec.weights).expanduser()
            if not path.is_file():
                raise ModelError(f"weights file not found: {path}")
            return str(path)
        if not self.spec.pretrained:
            raise ModelError(
                f"model {self.spec.arch} needs weights: give a file with --weights, the settings "
                f"or PHOTOFINDER_WEIGHTS, or choose a pretrained tag")
        if self.spec.pretrained == RANDOM_WEIGHTS:
            log.warning("model %s has random weights: search results will be meaningless",
                        self.spec.arch)
            return None
        from photofinder.weights import ensure_pretrained

        return str(ensure_pretrained(self.spec.arch, self.spec.pretrained, self.models_dir,
                                     progress=progress, cancel=cancel))

    def _build(self, weights: str | None, dtype=None):
        """The model with its weights; cast to ``dtype`` before the weights are copied in,
        so a bf16 model never holds an fp32 copy (half the peak memory of loading)."""
        import open_clip

        register_model_configs()
        try:
            with _built_for_a_weights_file() if weights else contextlib.nullcontext():
                model, _, preprocess = open_clip.create_model_and_transforms(self.spec.arch)
            if dtype is not None:
                model.to(dtype)
            if weights:
                open_clip.load_checkpoint(model, weights)
            tokenizer = open_clip.get_tokenizer(self.spec.arch)
        except PhotofinderError:
            raise
        except Exception as exc:  # noqa: BLE001 - a user's weights file can fail in any way
            first_line = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"cannot load {self.spec.arch} weights from {weights}: {first_line}") from exc
        model.eval()
        return model, preprocess, tokenizer

    def _check_key(self, placement: Placement) -> str:
        import torch

        return (f"{self.spec.model_id}|{placement.device}|{placement.precision}|"
                f"{torch.__version__}|{cpu_name()}")

    def _precision_checks(self) -> "PrecisionChecks | None":
        """Where check results are remembered; random weights differ every run: nowhere."""
        if self.spec.pretrained == RANDOM_WEIGHTS:
            return None
        return PrecisionChecks(self.models_dir / PRECISION_CHECKS_FILE)

    def _remembered_agreement(self, placement: Placement) -> float | None:
        """The precision check's result from an earlier start."""
        checks = self._precision_checks()
        if placement.precision == "fp32" or checks is None:
            return None
        return checks.get(self._check_key(placement))

    def _place(self, model, placement: Placement, known: float | None):
        """Move to the device and cast; keep reduced precision only if it agrees with fp32.
        The verdict is remembered per model, device and torch version: the check costs a
        second or two of a cold start, so it runs only the first time."""
        import torch

        model = model.to(placement.device)
        if placement.precision == "fp32":
            self._dtype = torch.float32
            return model, placement
        dtype = _reduced_dtype(placement)
        agreement = known
        if agreement is None:
            agreement = self._agreement(model, dtype, placement.device)
            checks = self._precision_checks()
            if checks is not None:
                checks.put(self._check_key(placement), agreement)
        if agreement < MIN_AGREEMENT:
            log.warning("%s embeddings agree with fp32 only to cosine %.5f; using fp32",
                        placement.precision, agreement)
            self._dtype = torch.float32
            return model, Placement(placement.device, "fp32", placement.batch_size)
        log.info("%s agrees with fp32 to cosine %.5f", placement.precision, agreement)
        self._dtype = dtype
        return model.to(dtype), placement

    def _agreement(self, model, dtype, device: str) -> float:
        """Lowest cosine between fp32 and ``dtype`` embeddings of a few probe pictures."""
        import torch

        probe = _probe_images(self.input_size, device)
        with torch.inference_mode():
            reference = _normalised(model.encode_image(probe))
            reduced = _normalised(copy.deepcopy(model).to(dtype).encode_image(probe.to(dtype)))
        return float(np.min(np.sum(reference * reduced, axis=1)))


class PrecisionChecks:
    """A small JSON file of precision-check results; losing it only costs a re-check."""

    def __init__(self, path: Path):
        self.path = path

    def _read(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> float | None:
        value = self._read().get(key)
        return float(value) if isinstance(value, (int, float)) else None

    def put(self, key: str, agreement: float) -> None:
        checks = self._read()
        checks[key] = agreement
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(checks, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot remember the precision check in %s: %s", self.path, exc)


@contextlib.contextmanager
def _built_for_a_weights_file():
    """Constructing a model fills every parameter with random numbers that the weights file
    then overwrites (about 1 s for ViT-B-32 here): skip that, and open_clip's warning that
    the model is random. open_clip loads state dicts strictly, so a parameter the file
    lacks is an error, never left unfilled."""
    import torch

    def keep(record: logging.LogRecord) -> bool:
        return "initialized randomly" not in record.getMessage()

    saved = {name: getattr(torch.nn.init, name) for name in INIT_FUNCTIONS
             if hasattr(torch.nn.init, name)}
    root = logging.getLogger()
    root.addFilter(keep)
    try:
        for name in saved:
            setattr(torch.nn.init, name, _leave_as_is)
        yield
    finally:
        for name, function in saved.items():
            setattr(torch.nn.init, name, function)
        root.removeFilter(keep)


def _drop_text_half(model) -> None:
    """Once text goes through the saved tower, the torch model only embeds images: its
    text half (about 40% of ViT-B-32's weights) would be dead weight in memory."""
    for name in TEXT_HALF:
        if getattr(model, name, None) is not None:
            delattr(model, name)


def _leave_as_is(tensor, *args, **kwargs):
    return tensor


def _reduced_dtype(placement: Placement):
    import torch

    return torch.bfloat16 if placement.precision == "bf16" else torch.float16


def _central_band(image: "Image.Image", max_aspect: float = 4.0) -> "Image.Image":
    """Crop panoramas and slivers to their middle: the model only sees the central square
    anyway, and resizing a 16 x 500,000 sliver's short side to 224 would need gigabytes."""
    width, height = image.size
    if width > height * max_aspect:
        keep = int(height * max_aspect)
        return image.crop(((width - keep) // 2, 0, (width + keep) // 2, height))
    if height > width * max_aspect:
        keep = int(width * max_aspect)
        return image.crop((0, (height - keep) // 2, width, (height + keep) // 2))
    return image


def _probe_images(size: int, device: str) -> "torch.Tensor":
    """Smooth random pictures: a fixed, photo-like input for the precision check."""
    import torch

    generator = torch.Generator().manual_seed(0)
    coarse = torch.rand((4, 3, 8, 8), generator=generator)
    images = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear")
    return ((images - 0.45) / 0.27).to(device)


def _normalised(features: "torch.Tensor") -> np.ndarray:
    import torch

    features = features.float()
    features = features / torch.linalg.vector_norm(features, dim=-1, keepdim=True).clamp_min(1e-12)
    return features.cpu().numpy().astype(np.float32, copy=False)

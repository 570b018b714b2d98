"""Turns photos and text into unit vectors in one shared space (open_clip).

torch and open_clip are imported only when the model is first needed, so the
window and the CLI's quick commands start without paying for them. Text queries
do not need them at all once the model has been loaded once: its text half is
saved for numpy (``text_tower``), and a search after launch uses that.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import importlib.util
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from photofinder import onnx_export
from photofinder.atomic_file import write_json_atomically
from photofinder.backends import (
    CHOICES_FILE, ONNX_BACKENDS, TORCH_BACKENDS, BackendChoices, Choice, OrtBackend, TorchBackend,
    choice_key, choose, onnx_candidates, onnx_providers, open_onnx, ort_session, torch_candidates,
    unit_rows, wanted_backend,
)
from photofinder.errors import ModelError, PhotofinderError
from photofinder.fingerprint import fingerprint
from photofinder.hardware import Placement, cpu_name, importable, pick_placement
from photofinder.image_preprocess import ImageTransform
from photofinder.memory import return_freed_memory
from photofinder.records import ModelInfo
from photofinder.text_tower import TextTower, export as export_text_tower

if TYPE_CHECKING:
    import torch
    from PIL import Image

log = logging.getLogger("photofinder.embed")

# Folders of extra open_clip model configs (os.pathsep between them): the tests' tiny model, an
# expert's own architecture. open_clip's own configs need nothing.
MODEL_CONFIGS_ENV = "PHOTOFINDER_MODEL_CONFIGS"
RANDOM_WEIGHTS = "random"  # benchmarks only: compute cost does not depend on the weights
MIN_AGREEMENT = 0.999  # cosine between reduced-precision and fp32 embeddings
PRECISION_CHECKS_FILE = "precision-checks.json"  # in the models folder
PROBE_PHOTOS = 8  # the first photos embedded are the probes the backends are tried on
TEXT_TOWERS_DIR = "text-towers"  # in the models folder, one subfolder per model id
# copies of open_clip's configs of the models the settings list (model_catalog)
LISTED_MODEL_CONFIGS = Path(__file__).resolve().with_name("model_configs")
# torch.nn.init functions that fill a fresh parameter: no-ops while a weights file loads.
INIT_FUNCTIONS = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                  "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                  "orthogonal_")

# open_clip's text attributes: CLIP's own, or CustomTextCLIP's `text` module
TEXT_HALF = ("text", "transformer", "token_embedding", "positional_embedding", "ln_final",
             "text_projection", "attn_mask")

ProgressCallback = Callable[[int, "int | None"], None]


def model_config_folders() -> list[Path]:
    """The folders named in ``PHOTOFINDER_MODEL_CONFIGS``."""
    return [Path(folder) for folder in os.environ.get(MODEL_CONFIGS_ENV, "").split(os.pathsep) if folder]


_registered_folders: set[Path] = set()


def register_model_configs() -> None:
    """Make the configs of ``PHOTOFINDER_MODEL_CONFIGS`` known to open_clip (each folder once)."""
    import open_clip

    for folder in model_config_folders():
        if folder.is_dir() and folder not in _registered_folders:
            open_clip.add_model_config(folder)
            _registered_folders.add(folder)


@lru_cache(maxsize=None)
def model_config(arch: str) -> dict:
    """An architecture's open_clip config, read from its JSON file without importing
    open_clip (and torch): the window needs the vector size to open the index at once."""
    spec = importlib.util.find_spec("open_clip")
    folders = model_config_folders()
    if spec and spec.submodule_search_locations:
        folders += [Path(p) / "model_configs" for p in spec.submodule_search_locations]
    folders.append(LISTED_MODEL_CONFIGS)  # without open_clip
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
            path = Path(self.weights).expanduser()
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise ModelError(f"weights file not found: {path}") from exc
            return f"{self.arch}/file-{fingerprint(path, size)[:16]}"
        return f"{self.arch}/{self.pretrained or RANDOM_WEIGHTS}"


class Embedder:
    """Loads the model lazily (once, thread-safe) and embeds batches.

    Photos go through the backend chosen for this computer (``backends``): the first
    time, torch serves while the ONNX files are made and every candidate is timed on
    the first photos embedded, in a background thread; the winner takes over from the
    next batch on, and later starts open it directly. ``backend`` (or
    PHOTOFINDER_BACKEND) fixes the choice instead.
    """

    def __init__(self, spec: ModelSpec, models_dir: Path, placement: Placement | None = None,
                 backend: str | None = None):
        self.spec = spec
        self.models_dir = models_dir
        self._placement = placement
        self._wanted_backend = backend
        self._lock = threading.Lock()
        self._model = None
        self._tokenizer = None
        self._preprocess = None
        self._backend = None  # TorchBackend or OrtBackend: what embed_tensors runs
        self._choice_due = False  # no backend measured yet: the first photos embedded will be
        self._choosing: threading.Thread | None = None
        self._text_tower: TextTower | None = None
        self.info: ModelInfo | None = None
        # why the weights could not be had at the last try (offline): indexing then only
        # lists photos instead of trying again for every changed file
        self.weights_failure: str | None = None

    @property
    def is_loaded(self) -> bool:
        return self._backend is not None

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
            if self._backend is not None:
                return self.info
            if not importable("open_clip"):
                return self._load_published_onnx(progress, cancel)
            started = time.perf_counter()
            try:
                weights = self._resolve_weights(progress, cancel)
            except ModelError as exc:
                self.weights_failure = str(exc)
                raise
            self.weights_failure = None
            placement = self._placement or pick_placement()
            decided = self._decided_backend(placement)
            if decided is not None and decided.backend in TORCH_BACKENDS:
                placement = Placement(placement.device, decided.precision, placement.batch_size)
            tower_folder = self.text_tower_folder
            if self._text_tower is None and tower_folder is not None:
                self._text_tower = TextTower.open(tower_folder)
            if decided is not None and decided.backend in ONNX_BACKENDS and self._text_tower:
                if self._load_onnx(decided, placement):
                    log.info("model %s ready in ONNX Runtime (%s) in %.1f s", self.spec.model_id,
                             decided.backend, time.perf_counter() - started)
                    return self.info
                decided = self._instead_of_onnx(decided, placement)
            known = self._remembered_agreement(placement)
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
            self._backend = TorchBackend(model.visual, placement.device, placement.precision)
            self._placement = placement
            self._set_info(decided if decided and decided.backend in TORCH_BACKENDS else None)
            self._choice_due = decided is None and bool(onnx_providers())
            if decided is not None and decided.backend in ONNX_BACKENDS:
                if not self._load_onnx(decided, placement):  # else torch only serves text
                    decided = self._instead_of_onnx(decided, placement)
            return_freed_memory()  # the fp32 weights read from the file
            log.info("model %s ready on %s in %s (%.1f s)", self.info.model_id,
                     placement.device, placement.precision, time.perf_counter() - started)
            return self.info

    # --- embedding -----------------------------------------------------------

    def preprocess(self, image: "Image.Image") -> np.ndarray:
        """PIL image -> model input (3, size, size); thread-safe, runs in decode workers."""
        if self._preprocess is None:
            self.load()
        return self._preprocess(_central_band(image))

    @property
    def input_size(self) -> int:
        """The shortest side the model looks at; decoders may reduce photos to it."""
        size = model_config(self.spec.arch)["vision_cfg"].get("image_size", 224)
        return max(size) if isinstance(size, (tuple, list)) else int(size)

    def embed_tensors(self, batch) -> np.ndarray:
        """Unit vectors of a batch of model inputs (an array of ``preprocess`` outputs)."""
        backend = self._backend
        while backend is None:  # not loaded yet, or released: (re)load
            self.load()
            backend = self._backend
        vectors = backend.embed(batch)  # this one, even if released meanwhile
        with self._lock:
            if self._choice_due:
                self._choice_due = False
                self._choosing = threading.Thread(
                    target=self._choose_quietly, args=(np.array(batch[:PROBE_PHOTOS], np.float32),),
                    name="pf-backend-choice", daemon=True)
                self._choosing.start()
        return vectors

    def embed_images(self, images: Sequence["Image.Image"]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.info.dimension if self.info else 0), np.float32)
        return self.embed_tensors(np.stack([self.preprocess(im) for im in images]))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.prepare_for_text()
        if self._text_tower is not None:
            return self._text_tower.embed(texts)
        import torch

        with torch.inference_mode():
            tokens = self._tokenizer(list(texts)).to(self._placement.device)
            features = self._model.encode_text(tokens)
        return _normalised(features)

    def release(self) -> bool:
        """Drop the image model (torch's weights, the ONNX Runtime session and its arena)
        once indexing is done, so an idle window or server holds only the text tower; the
        next photo to embed loads it again. Kept while a backend choice is being measured,
        and when there is no saved text tower (text queries then need the model). Python
        cannot unload the torch module itself, only what it allocated."""
        with self._lock:
            choosing = self._choosing is not None and self._choosing.is_alive()
            if self._backend is None or self._text_tower is None or choosing:
                return False
            self._backend = self._model = self._tokenizer = None
        gc.collect()  # torch modules may sit in reference cycles
        return_freed_memory()
        log.info("image model %s released until the next photo to embed", self.spec.model_id)
        return True

    # --- the backend ----------------------------------------------------------

    @property
    def onnx_folder(self) -> Path:
        return onnx_export.onnx_folder(self.models_dir, self.spec.model_id)

    def _choices(self) -> BackendChoices:
        return BackendChoices(self.models_dir / CHOICES_FILE)

    def _choice_key(self, placement: Placement) -> str:
        return choice_key(self.spec.model_id, placement.device)

    def remembered_backend(self) -> Choice | None:
        """The backend measured on an earlier start for this model here, if any."""
        return self._choices().get(self._choice_key(self._placement or pick_placement()))

    def expected_info(self) -> ModelInfo:
        """How the model will run here, without loading it: as measured on an earlier
        start, else as placed (torch)."""
        placement = self._placement or pick_placement()
        published = not importable("open_clip")  # the published ONNX export, in ONNX Runtime
        if published:
            choice = Choice("onnx-fp32", "fp32", "cpu", None)
        else:
            choice = self._decided_backend(placement) or Choice(
                f"torch-{placement.precision}", placement.precision, placement.device, None)
        return ModelInfo(model_id=self.spec.model_id, device=choice.device,
                         precision=choice.precision, dimension=embedding_dimension(self.spec.arch),
                         backend=choice.backend, agreement=choice.agreement,
                         extra={"published_export": True} if published else {})

    def _decided_backend(self, placement: Placement) -> Choice | None:
        """The backend asked for (argument or PHOTOFINDER_BACKEND), else the remembered one."""
        wanted = self._wanted_backend or wanted_backend()
        if wanted == "torch":  # torch, in the precision the placement says
            return Choice(f"torch-{placement.precision}", placement.precision, placement.device, None)
        if wanted in TORCH_BACKENDS:
            return Choice(wanted, TORCH_BACKENDS[wanted], placement.device, None)
        if wanted in ONNX_BACKENDS:
            return Choice(wanted, ONNX_BACKENDS[wanted][0], "cuda" if wanted == "onnx-cuda" else "cpu",
                          None)
        return self._choices().get(self._choice_key(placement))

    def _load_onnx(self, decided: Choice, placement: Placement) -> bool:
        """Serve images from the exported ONNX files, if they are whole; a damaged export
        is deleted (and made again by the next choice), and the choice forgotten."""
        asked = decided.agreement is None  # named by the user, not measured here
        backend = meta = None
        for attempt in range(2 if asked else 1):  # asked for: made (again) if need be
            meta = onnx_export.read_meta(self.onnx_folder)
            if meta is None and attempt:
                meta = self._export_onnx()[1]
            if meta is None:
                continue
            try:
                backend = open_onnx(self.onnx_folder, meta, decided.backend)
                break
            except Exception as exc:  # noqa: BLE001 - ONNX Runtime's errors for bad files vary
                log.warning("cannot open the ONNX image tower: %s", str(exc).splitlines()[0][:200])
                onnx_export.discard(self.onnx_folder)
        if backend is None:
            if asked:
                log.warning("backend %s is not available here; using torch", decided.backend)
            else:  # files gone or damaged: measure (and export) again
                self._choices().put(self._choice_key(placement), None)
            return False
        if self._preprocess is None:
            self._preprocess = ImageTransform.from_config(meta["preprocess"])
        self._backend, self._placement = backend, placement
        if self._model is not None and self._text_tower is not None:
            self._model = None  # text goes through the saved tower; nothing needs torch
        self._set_info(decided)
        return True

    def _load_published_onnx(self, progress, cancel) -> ModelInfo:
        """Without torch: both towers from the model's published ONNX export, downloaded on
        first use, preprocessing in numpy (``image_preprocess``), ONNX Runtime on the CPU."""
        from photofinder.published_onnx import (
            IMAGE_MODEL, IMAGE_PREPROCESS, PublishedTextTower, read_json,
        )
        from photofinder.weights import ensure_onnx_export

        if self.spec.weights or self.spec.pretrained in ("", RANDOM_WEIGHTS):
            raise ModelError(
                f"model {self.spec.model_id} needs torch and open_clip, which this install "
                f"lacks; choose a listed model (Settings) or install photofinder with them")
        try:
            folder = ensure_onnx_export(self.spec.arch, self.spec.pretrained, self.models_dir,
                                        progress, cancel)
        except ModelError as exc:
            self.weights_failure = str(exc)
            raise
        try:
            self._preprocess = ImageTransform.from_config(read_json(folder, IMAGE_PREPROCESS))
            self._backend = OrtBackend(ort_session(folder / IMAGE_MODEL), "onnx-fp32")
            self._text_tower = PublishedTextTower(folder)
        except ModelError:
            raise
        except Exception as exc:  # ONNX Runtime's errors for damaged files vary
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else repr(exc)
            raise ModelError(f"the ONNX model in {folder} cannot be used ({detail}); delete "
                             f"the folder to download it again") from exc
        self.weights_failure = None
        self._placement = Placement("cpu", "fp32", (self._placement or pick_placement()).batch_size)
        self._set_info(None)
        self.info = replace(self.info, extra={"published_export": True})
        log.info("model %s ready in ONNX Runtime from its published export", self.spec.model_id)
        return self.info

    @staticmethod
    def _instead_of_onnx(decided: Choice, placement: Placement) -> Choice | None:
        """After the ONNX files failed: torch as placed if the user named the backend, else
        nothing decided (measure again)."""
        if decided.agreement is None:
            return Choice(f"torch-{placement.precision}", placement.precision, placement.device, None)
        return None

    def _set_info(self, choice: Choice | None) -> None:
        backend = self._backend
        self.info = ModelInfo(
            model_id=self.spec.model_id, device=backend.device, precision=backend.precision,
            dimension=embedding_dimension(self.spec.arch), backend=backend.name,
            agreement=choice.agreement if choice else None)

    def _choose_quietly(self, probes) -> None:
        try:
            self.choose_backend(probes)
        except Exception:  # torch keeps serving; the log says why
            log.exception("choosing the fastest backend failed; torch keeps embedding")

    def choose_backend(self, probes: np.ndarray) -> Choice:
        """Make the ONNX files if need be, time every candidate on ``probes`` (preprocessed
        photos) against torch fp32, remember the winner and switch to it."""
        placement = self._placement or pick_placement()
        visual, meta = self._export_onnx()
        visual = visual.to(placement.device)
        candidates = torch_candidates(visual, placement.device)
        try:
            candidates += onnx_candidates(self.onnx_folder, meta, placement.device) if meta else []
        except Exception as exc:  # noqa: BLE001 - a provider can fail in any way; torch remains
            log.warning("ONNX Runtime is not used: %s", str(exc).splitlines()[0][:200] or exc)
        reference = candidates[0].embed(probes)
        choice = choose(candidates, probes, reference)
        self._choices().put(self._choice_key(placement), choice)
        winner = next(c for c in candidates if c.name == choice.backend)
        with self._lock:
            if isinstance(winner, TorchBackend) and winner.name == self._backend.name:
                winner = self._backend  # the serving model already is this one
            self._backend = winner
            if not isinstance(winner, TorchBackend) and self._text_tower is not None:
                self._model = None
            self._set_info(choice)
        del candidates, visual, winner
        return_freed_memory()
        return choice

    def _export_onnx(self):
        """The fp32 image tower, and the ONNX files' description (exported now if there are
        none; None if exporting failed)."""
        import open_clip

        model, _, _ = self._build(self._resolve_weights(None, None))
        meta = onnx_export.read_meta(self.onnx_folder)
        if meta is None:
            try:
                meta = onnx_export.export(model.visual, self.input_size,
                                          open_clip.get_model_preprocess_cfg(model), self.onnx_folder)
            except Exception as exc:  # noqa: BLE001 - an export can fail in many ways
                log.warning("cannot export the model to ONNX: %s",
                            str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc)
        return model.visual, meta

    def wait_for_backend_choice(self, timeout: float | None = None) -> None:
        """Tests and benchmarks: until a choice started in the background is made."""
        if self._choosing is not None:
            self._choosing.join(timeout)

    # --- loading -------------------------------------------------------------

    def install_weights_file(self, path: str | Path,
                             cancel: Callable[[], bool] | None = None) -> Path:
        """Check a weights file fetched by hand for this pretrained model, then put it where
        the download would have: it must match the SHA-256 the Hub published (when a
        download attempt learnt it) and its state dict must load into this architecture."""
        from photofinder.weights import (
            adopt_weights_file, file_sha256, published_checksum, weights_source, weights_urls,
        )

        path = Path(path).expanduser()
        if not path.is_file():
            raise ModelError(f"not a file: {path}")
        if not importable("open_clip"):
            from photofinder.published_onnx import FILES
            from photofinder.weights import onnx_export_folder, onnx_export_source

            arch, tag = self.spec.arch, self.spec.pretrained
            raise ModelError(
                f"this install (without torch) cannot check a weights file; put the files "
                f"{', '.join(FILES)} of {onnx_export_source(arch, tag).page} into "
                f"{onnx_export_folder(self.models_dir, arch, tag)}")
        source = weights_source(self.spec.arch, self.spec.pretrained)
        names = [url.rsplit("/", 1)[-1] for url in weights_urls(self.spec.arch, self.spec.pretrained)]
        # open_clip reads a file by its extension: safetensors, or else a torch pickle
        safetensors = path.suffix == ".safetensors"
        name = next((n for n in names if n.endswith(".safetensors") == safetensors), names[0])
        dest = source.local_path(self.models_dir).with_name(name)
        expected = published_checksum(dest)
        if expected and file_sha256(path, cancel) != expected:
            raise ModelError(f"{path.name} is not the published {name}: its SHA-256 differs "
                             f"(a damaged download, or another model's file)")
        self._build(str(path))  # a ModelError says why it does not fit this architecture
        return_freed_memory()
        return adopt_weights_file(path, dest)

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
            with _built_for_a_weights_file() if weights else _seeded():
                model = open_clip.create_model(self.spec.arch)
            if dtype is not None:
                model.to(dtype)
            if weights:
                open_clip.load_checkpoint(model, weights)
            tokenizer = open_clip.get_tokenizer(self.spec.arch)
            preprocess = ImageTransform.from_config(open_clip.get_model_preprocess_cfg(model))
        except PhotofinderError:
            raise
        except Exception as exc:  # a user's weights file can fail in any way
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
        model = model.to(placement.device)
        if placement.precision == "fp32":
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
            return model, Placement(placement.device, "fp32", placement.batch_size)
        log.info("%s agrees with fp32 to cosine %.5f", placement.precision, agreement)
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
            write_json_atomically(self.path, checks, indent=1)
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


@contextlib.contextmanager
def _seeded():
    """Random weights (benchmarks) are the same at every build, so the model that serves
    and the fp32 one the backends are checked against are one model."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


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
    return unit_rows(features.float().cpu().numpy())

"""Which engine embeds photos on this computer, chosen by measuring it.

The candidates are torch on the model's device in fp32 and in reduced precision
(bf16 on CPUs that have it natively, fp16 on CUDA and MPS), and ONNX Runtime in
fp32 and int8 on the CPU, or with its CUDA or CoreML provider where installed.
Each embeds a probe batch of the user's own photos; the fastest whose vectors
agree with torch fp32 (cosine >= MIN_AGREEMENT for every probe) wins. The verdict
is remembered per model, device, CPU and library versions, so only a first start
measures; ``PHOTOFINDER_BACKEND`` names the engine to use instead.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
import numpy as np

from photofinder.atomic_file import write_json_atomically
from photofinder.hardware import cpu_has_fast_bf16, cpu_name

log = logging.getLogger("photofinder.embed")

MIN_AGREEMENT = 0.99  # lowest cosine to torch fp32 over the probe photos
CHOICES_FILE = "backend-choices.json"  # in the models folder
TIMING_BATCH = 16  # probe photos, repeated to this many, per timed run
TORCH_BACKENDS = {"torch-fp32": "fp32", "torch-bf16": "bf16", "torch-fp16": "fp16"}
# name: (ONNX file precision, ONNX Runtime provider)
ONNX_BACKENDS = {"onnx-int8": ("int8", "CPUExecutionProvider"),
                 "onnx-fp32": ("fp32", "CPUExecutionProvider"),
                 "onnx-cuda": ("fp32", "CUDAExecutionProvider"),
                 "onnx-coreml": ("fp32", "CoreMLExecutionProvider")}
BACKENDS = (*TORCH_BACKENDS, *ONNX_BACKENDS)
# PHOTOFINDER_BACKEND may also say "torch": torch in the precision PHOTOFINDER_PRECISION
# or the CPU's flags choose, without measuring.
ASKABLE = ("torch", *BACKENDS)


def unit_rows(features: np.ndarray) -> np.ndarray:
    features = np.asarray(features, dtype=np.float32)
    return features / np.maximum(np.linalg.norm(features, axis=-1, keepdims=True), 1e-12)


class TorchBackend:
    """An open_clip image tower in torch, on one device, in one dtype."""

    def __init__(self, visual, device: str, precision: str):
        import torch

        self.visual = visual
        self.device = device
        self.precision = precision
        self.name = f"torch-{precision}"
        self.dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]

    def embed(self, batch) -> np.ndarray:
        import torch

        with torch.inference_mode():
            features = self.visual(torch.as_tensor(batch).to(self.device, dtype=self.dtype))
        return unit_rows(features.float().cpu().numpy())


class OrtBackend:
    """An image tower exported to ONNX, run by ONNX Runtime."""

    def __init__(self, session, name: str):
        self.session = session
        self.name = name
        self.precision = ONNX_BACKENDS[name][0]
        self.device = "cuda" if name == "onnx-cuda" else "cpu"
        # ours: pixels -> features, any batch; a published export (Immich's): image ->
        # embedding, one photo per run
        wanted = session.get_inputs()[0]
        self._input, self._output = wanted.name, session.get_outputs()[0].name
        self._batch = wanted.shape[0] if isinstance(wanted.shape[0], int) else None

    def embed(self, batch) -> np.ndarray:
        pixels = np.ascontiguousarray(batch.numpy() if hasattr(batch, "numpy") else batch,
                                      dtype=np.float32)
        step = self._batch or max(len(pixels), 1)
        return unit_rows(np.concatenate([
            self.session.run([self._output], {self._input: pixels[start:start + step]})[0]
            for start in range(0, max(len(pixels), 1), step)]))


@dataclass(frozen=True)
class Choice:
    """The engine a model runs on here, and what it measured."""

    backend: str
    precision: str
    device: str
    agreement: float | None  # lowest cosine to torch fp32 over the probes; None: not measured
    rates: dict = field(default_factory=dict)  # candidate name -> photos per second

    @classmethod
    def from_json(cls, data: dict) -> "Choice | None":
        try:
            choice = cls(**data)
        except TypeError:
            return None
        return choice if choice.backend in BACKENDS else None


def wanted_backend() -> str | None:
    """PHOTOFINDER_BACKEND, if it names a backend (else a warning and None)."""
    wanted = os.environ.get("PHOTOFINDER_BACKEND", "").strip().lower()
    if wanted and wanted not in ASKABLE:
        log.warning("PHOTOFINDER_BACKEND=%s is not one of %s; ignoring it", wanted, ", ".join(ASKABLE))
        return None
    return wanted or None


def onnx_providers() -> list[str]:
    try:
        import onnxruntime
    except ImportError:
        return []
    return onnxruntime.get_available_providers()


def open_onnx(folder: Path, meta: dict, name: str) -> OrtBackend | None:
    """A session for backend ``name`` on the exported files, or None where its provider is
    missing. Raises OSError-like errors from ONNX Runtime for damaged files."""
    precision, provider = ONNX_BACKENDS[name]
    if provider not in onnx_providers():
        return None
    from photofinder.onnx_export import IMAGE_FILES

    return OrtBackend(ort_session(folder / IMAGE_FILES[precision], provider), name)


def ort_session(path: Path, provider: str = "CPUExecutionProvider"):
    """An ONNX Runtime session on ``path``, set up to share the cores with decoding."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # its warnings about unused initialisers are noise here
    # Idle ONNX Runtime threads spin by default, taking the cores from the decode pool
    # that feeds them between batches.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(path), options, providers=[provider])


def torch_candidates(visual_fp32, device: str) -> list[TorchBackend]:
    """torch fp32, and the reduced precision the device runs natively."""
    import copy

    found = [TorchBackend(visual_fp32, device, "fp32")]
    reduced = "fp16" if device.startswith("cuda") or device == "mps" else (
        "bf16" if cpu_has_fast_bf16() else None)
    if reduced:
        copied = TorchBackend(copy.deepcopy(visual_fp32), device, reduced)
        copied.visual.to(copied.dtype)
        found.append(copied)
    return found


def onnx_candidates(folder: Path, meta: dict, device: str) -> list[OrtBackend]:
    """The ONNX Runtime backends worth timing beside torch on ``device``."""
    names = ["onnx-int8", "onnx-fp32", "onnx-coreml"] if device in ("cpu", "mps") else ["onnx-cuda"]
    found = []
    for name in names:
        backend = open_onnx(folder, meta, name)
        if backend is not None:
            found.append(backend)
    return found


def choose(candidates: list, probes: np.ndarray, reference: np.ndarray) -> Choice:
    """The fastest candidate whose vectors of the probe photos agree with ``reference``
    (torch fp32's); candidates[0] must be torch fp32 itself."""
    repeats = -(-TIMING_BATCH // len(probes))
    timing_batch = np.concatenate([probes] * repeats)[:TIMING_BATCH]
    rates, agreements = {}, {}
    for candidate in candidates:
        try:
            vectors = candidate.embed(probes)  # also the warm-up
            agreements[candidate.name] = float(np.min(np.sum(vectors * reference, axis=1)))
            rates[candidate.name] = TIMING_BATCH / _best_seconds(candidate, timing_batch)
        except Exception as exc:  # noqa: BLE001 - a provider can fail in any way; skip it
            log.warning("backend %s failed its trial: %s", candidate.name, exc)
    good = [c for c in candidates if agreements.get(c.name, 0) >= MIN_AGREEMENT]
    best = max(good, key=lambda c: rates[c.name])
    log.info("backend %s chosen (%.1f photos/s, agreement %.5f); measured %s", best.name,
             rates[best.name], agreements[best.name],
             {n: (round(r, 1), round(agreements[n], 5)) for n, r in rates.items()})
    return Choice(best.name, best.precision, best.device, agreements[best.name],
                  {n: round(r, 2) for n, r in rates.items()})


def _best_seconds(candidate, batch, runs: int = 2) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        candidate.embed(batch)
        best = min(best, time.perf_counter() - started)
    return max(best, 1e-9)


def choice_key(model_id: str, device: str) -> str:
    """What a measured choice depends on: the model, the device and CPU, the engines."""
    import importlib.metadata  # 0.1 s: not on a text search's path

    versions = []
    for package in ("torch", "onnxruntime"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} -")
    return "|".join([model_id, device, cpu_name(), *versions])


class BackendChoices:
    """A small JSON file of measured choices; losing it only costs measuring again."""

    def __init__(self, path: Path):
        self.path = path

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def get(self, key: str) -> Choice | None:
        value = self._read().get(key)
        return Choice.from_json(value) if isinstance(value, dict) else None

    def put(self, key: str, choice: Choice | None) -> None:
        choices = self._read()
        if choice is None:
            choices.pop(key, None)
        else:
            choices[key] = asdict(choice)
        try:
            write_json_atomically(self.path, choices, indent=1)
        except OSError as exc:
            log.warning("cannot remember the backend choice in %s: %s", self.path, exc)

"""What the torch-free bundle gives up in embedding speed: ViT-B-32's image tower as
Immich publishes it (fp32 ONNX, one photo per run: what an install without torch runs)
against what the bundle with torch can choose from (torch fp32 and bf16, and ONNX
Runtime fp32 and int8 on photofinder's own export, batches of 32), all in the same run
on the same photos-like inputs; random weights (the cost does not depend on them).

    python benchmarks/bench_torch_free.py [--photos 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import open_clip
import torch

from photofinder import onnx_export
from photofinder.backends import (
    ONNX_BACKENDS, OrtBackend, open_onnx, ort_session, torch_candidates,
)
from photofinder_testing.published_export import export_like_immich

BATCH = 32


def rate(backend, photos: np.ndarray) -> float:
    backend.embed(photos[:BATCH])  # warm-up
    started = time.perf_counter()
    for start in range(0, len(photos), BATCH):
        backend.embed(photos[start:start + BATCH])
    return len(photos) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32").eval()
    photos = np.random.default_rng(0).normal(size=(args.photos, 3, 224, 224)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        published = Path(tmp) / "published"
        export_like_immich(model, "ViT-B-32", published)
        ours = Path(tmp) / "ours"
        meta = onnx_export.export(model.visual, 224, open_clip.get_model_preprocess_cfg(model), ours)
        engines = {"published ONNX fp32, batch 1 (torch-free)":
                   OrtBackend(ort_session(published / "visual" / "model.onnx"), "onnx-fp32")}
        for backend in torch_candidates(model.visual, "cpu"):
            engines[f"{backend.name}, batch {BATCH}"] = backend
        for name in ("onnx-fp32", "onnx-int8"):
            if ONNX_BACKENDS[name][1] == "CPUExecutionProvider":
                engines[f"{name} (own export), batch {BATCH}"] = open_onnx(ours, meta, name)
        rates = {name: rate(backend, photos) for name, backend in engines.items()}
    baseline = next(r for name, r in rates.items() if name.startswith("torch-fp32"))
    print(f"{'engine':48} photos/s  vs torch fp32 (same run)")
    for name, value in rates.items():
        print(f"{name:48} {value:8.1f}  {value / baseline:5.2f}x")


if __name__ == "__main__":
    main()

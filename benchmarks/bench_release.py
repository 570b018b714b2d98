"""Resident memory freed when the image model is released after indexing, per backend.

Each backend runs in a fresh process (ViT-B-32 with random weights saved to a file,
so that its text tower is saved as a real model's is and text needs no model). In
that process, with the same photos, in order:
  idle      the text tower loaded, as a window waiting for a query,
  indexed   after indexing the photos (model loaded and used),
  released  after Embedder.release (what Library.release_model does when indexing ends),
  again     after indexing a few more photos (the model loaded again by itself),
  released  after a second release.
Python cannot unload the torch module (its libraries stay mapped, ~300-400 MB); what
is freed is the model's weights, ONNX Runtime's session and arena, and the heap
malloc_trim can return.

    python benchmarks/bench_release.py [--photos 200] [--backends onnx-int8,torch-fp32]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import CACHE, camera_photos

ARCH = "ViT-B-32"


def resident_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024


def one_backend(backend: str, weights: Path, models: Path, photos: list[Path]) -> dict:
    from photofinder.embedder import Embedder, ModelSpec
    from photofinder.hardware import Placement
    from photofinder.indexing.indexer import Indexer
    from photofinder.store import PhotoStore

    precision = backend.split("-")[1] if backend.startswith("torch") else "fp32"
    embedder = Embedder(ModelSpec(ARCH, weights=str(weights)), models,
                        Placement("cpu", precision, 32), backend=backend)
    embedder.prepare_for_text()
    embedder.embed_texts(["a dog"])
    figures = {"idle": resident_mb()}
    with tempfile.TemporaryDirectory() as tmp:
        store = PhotoStore(Path(tmp), embedder.spec.model_id, embedder.expected_info().dimension)
        first, later = photos[:-10], photos[-10:]
        Indexer(store, embedder).run(first)
        figures["indexed"] = resident_mb()
        figures["freed"] = embedder.release()
        figures["released"] = resident_mb()
        Indexer(store, embedder).run(later)
        figures["again"] = resident_mb()
        embedder.release()
        figures["released again"] = resident_mb()
        figures["rows"] = store.count()
    figures["backend"] = embedder.info.backend
    return figures


def prepared_model(folder: Path) -> tuple[Path, Path]:
    """A weights file of ViT-B-32 (random weights) and a models folder holding its text
    tower and ONNX export, made by loading it once."""
    import open_clip
    import torch

    weights = folder / "vit-b-32-random.pt"
    if not weights.exists():
        torch.save(open_clip.create_model(ARCH).state_dict(), weights)
    return weights, folder / "models"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--backends", default="onnx-int8,torch-fp32")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child: one backend
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    photos = camera_photos(args.photos, CACHE / "photos-640px-release", (640, 480), workers=2)
    if args.one:
        weights, models = prepared_model(Path(args.folder))
        if args.one == "prepare":  # the text tower and the ONNX files, made once
            from photofinder.embedder import Embedder, ModelSpec

            Embedder(ModelSpec(ARCH, weights=str(weights)), models, backend="onnx-int8").load()
            return
        print(json.dumps(one_backend(args.one, weights, models, photos)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, __file__, "--one", "prepare", "--folder", tmp,
                        "--photos", str(args.photos)], capture_output=True, check=True)
        print(f"{args.photos} photos of 640x480, {ARCH}; resident MB of a fresh process each")
        print(f"{'backend':11} {'idle':>6} {'indexed':>8} {'released':>9} {'freed':>6} "
              f"{'again':>6} {'released':>9}")
        for backend in args.backends.split(","):
            out = subprocess.run([sys.executable, __file__, "--one", backend, "--folder", tmp,
                                  "--photos", str(args.photos)],
                                 capture_output=True, text=True, check=True).stdout
            f = json.loads(out.strip().splitlines()[-1])
            assert f["freed"] and f["rows"] == args.photos, f
            print(f"{f['backend']:11} {f['idle']:6.0f} {f['indexed']:8.0f} {f['released']:9.0f} "
                  f"{f['indexed'] - f['released']:6.0f} {f['again']:6.0f} "
                  f"{f['released again']:9.0f}", flush=True)


if __name__ == "__main__":
    main()

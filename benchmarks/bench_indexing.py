"""Indexing throughput against what its two stages allow, per backend and kind of photo.

For each backend (torch fp32/bf16, ONNX Runtime int8/fp32) and each photo set
(12 MP camera JPEGs; the same carrying a 1920x1440 MPF preview; 640 px photos),
in the same run:
  E   embed-only photos/s (preprocessed tensors through the image encoder),
  D   decode+preprocess-only photos/s (the decode pool alone, all cores),
  end-to-end photos/s (scan, fingerprint, decode, embed, store into LanceDB),
and the ratio of end-to-end to the bound 1 / (1/E + 1/D) that the two stages
allow when they share the cores. Random weights: the cost does not depend on them.

On a shared machine the cores a phase gets vary from one second to the next, and
the wall-clock ratio with them. So each phase also reports the cores it used (CPU
seconds / wall seconds), and "work" compares CPU seconds a photo: the two stages
measured alone (E and D phases) against the end-to-end run. A work ratio near 1
says the pipeline adds no work of its own; a wall ratio below it, with fewer cores
used end to end than in the E and D phases, says the run got less of the machine.

    python benchmarks/bench_indexing.py [--photos 48] [--backends torch-fp32,onnx-int8]
        [--sets 12mp,12mp-mpf,640px]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import CACHE, camera_photos

from photofinder.embedder import RANDOM_WEIGHTS, Embedder, ModelSpec
from photofinder.hardware import Placement, cpu_has_fast_bf16
from photofinder.indexing.images import load_image
from photofinder.indexing.indexer import Indexer
from photofinder.store import PhotoStore


def photo_set(name: str, count: int) -> list[Path]:
    """12mp: camera JPEGs; 12mp-mpf: the same carrying a 1920x1440 MPF preview, as many
    cameras write them; 640px: photos as phones share them (twice as many)."""
    if name == "640px":
        return camera_photos(count * 2, CACHE / "photos-640px", (640, 480), workers=2)
    plain = camera_photos(count, workers=2)
    if name == "12mp":
        return plain
    folder = CACHE / "camera-12mp-mpf"
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for source in plain:
        target = folder / source.name
        if not target.exists():
            with Image.open(source) as photo:
                photo.load()
                preview = photo.resize((1920, 1440), Image.Resampling.BILINEAR)
                photo.save(target.with_suffix(".tmp"), "MPO", quality=90, save_all=True,
                           append_images=[preview], exif=photo.info.get("exif", b""))
            target.with_suffix(".tmp").rename(target)
        made.append(target)
    return made


def embed_only(embedder: Embedder, count: int) -> float:
    size = embedder.input_size
    batch = torch.randn(embedder.batch_size, 3, size, size)
    embedder.embed_tensors(batch)  # warm-up
    started = time.perf_counter()
    done = 0
    while done < count:
        embedder.embed_tensors(batch)
        done += len(batch)
    return done / (time.perf_counter() - started)


def decode_only(embedder: Embedder, photos: list[Path], workers: int) -> float:
    def prepare(path: Path):
        return embedder.preprocess(load_image(path, embedder.input_size).image)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(prepare, photos[:workers]))  # warm-up
        started = time.perf_counter()
        list(pool.map(prepare, photos))
    return len(photos) / (time.perf_counter() - started)


def end_to_end(embedder: Embedder, photos: list[Path]) -> float:
    """Index a folder holding exactly ``photos`` (hard links: the cache folder may hold
    more, made by a run with more photos)."""
    with tempfile.TemporaryDirectory(dir=photos[0].parent.parent) as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for photo in photos:
            os.link(photo, folder / photo.name)
        store = PhotoStore(Path(tmp) / "index", embedder.info.model_id, embedder.info.dimension)
        started = time.perf_counter()
        changes = Indexer(store, embedder).run([folder])
        elapsed = time.perf_counter() - started
        assert len(changes.added) == len(photos), changes.problems[:3]
    return len(photos) / elapsed


class Cpu:
    """CPU seconds (all threads) and wall seconds of a ``with`` block."""

    def __enter__(self) -> "Cpu":
        self._times, self._wall = os.times(), time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        now = os.times()
        self.seconds = (now.user - self._times.user) + (now.system - self._times.system)
        self.wall = time.perf_counter() - self._wall

    @property
    def cores(self) -> float:
        return self.seconds / max(self.wall, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=48)
    parser.add_argument("--backends", default="torch-fp32,torch-bf16,onnx-int8,onnx-fp32")
    parser.add_argument("--sets", default="12mp,12mp-mpf,640px")
    parser.add_argument("--model", default="ViT-B-32")
    args = parser.parse_args()
    sets = {name: photo_set(name, args.photos) for name in args.sets.split(",")}
    workers = max(2, torch.get_num_threads())
    print(f"device cpu, torch threads {torch.get_num_threads()}; "
          + ", ".join(f"{name}: {len(photos)} photos" for name, photos in sets.items()))
    print(f"{'backend':11} {'set':9} {'E emb/s':>8} {'D dec/s':>8} {'bound':>7} {'e2e/s':>7} "
          f"{'ratio':>6} {'cores E/D/e2e':>14} {'work ratio':>10}")
    models = Path(tempfile.mkdtemp())  # the ONNX export, made once per run
    for backend in args.backends.split(","):
        if backend == "torch-bf16" and not cpu_has_fast_bf16():
            continue
        precision = backend.split("-")[1] if backend.startswith("torch") else "fp32"
        embedder = Embedder(ModelSpec(args.model, RANDOM_WEIGHTS), models,
                            Placement("cpu", precision, 32), backend=backend)
        embedder.load()
        # As E and D are measured warm: the process's first run also pays LanceDB's
        # start (its imports, runtime threads, first table), ~2 s of CPU here, which
        # fell on whichever set came first (12 MP) and which a window paid at launch.
        end_to_end(embedder, next(iter(sets.values()))[:4])
        with Cpu() as e_cpu:
            e = embed_only(embedder, 64)
        e_work = e_cpu.seconds / (e * e_cpu.wall)  # CPU seconds a photo (the warm-up is in)
        for name, photos in sets.items():
            with Cpu() as d_cpu:
                d = decode_only(embedder, photos, workers)
            bound = 1 / (1 / e + 1 / d)
            with Cpu() as run:
                e2e = end_to_end(embedder, photos)
            work = (e_work + d_cpu.seconds / (d * d_cpu.wall)) / (run.seconds / len(photos))
            print(f"{embedder.info.backend:11} {name:9} {e:8.1f} {d:8.1f} {bound:7.1f} "
                  f"{e2e:7.1f} {e2e / bound:6.2f} {e_cpu.cores:4.2f}/{d_cpu.cores:4.2f}/{run.cores:4.2f} "
                  f"{work:10.2f}", flush=True)


if __name__ == "__main__":
    main()

"""Indexing throughput on 12 MP camera JPEGs against what its two stages allow.

For each model and precision, in the same run:
  E   embed-only photos/s (preprocessed tensors through the image encoder),
  D   decode+preprocess-only photos/s (the decode pool alone, all cores),
  end-to-end photos/s (scan, fingerprint, decode, embed, store into LanceDB),
and the ratio of end-to-end to the bound 1 / (1/E + 1/D) that the two stages
allow when they share the cores. Random weights: the cost does not depend on them.

    python benchmarks/bench_indexing.py [--photos 128] [--models ViT-B-32,ViT-B-32-256]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import camera_photos

from photofinder.embedder import RANDOM_WEIGHTS, Embedder, ModelSpec
from photofinder.hardware import Placement, cpu_has_fast_bf16, pick_placement
from photofinder.indexing.images import load_image
from photofinder.indexing.indexer import Indexer
from photofinder.store import PhotoStore


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
    with tempfile.TemporaryDirectory() as tmp:
        store = PhotoStore(Path(tmp), embedder.info.model_id, embedder.info.dimension)
        started = time.perf_counter()
        changes = Indexer(store, embedder).run([photos[0].parent])
        elapsed = time.perf_counter() - started
        assert len(changes.added) == len(photos), changes.problems[:3]
    return len(photos) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=128)
    parser.add_argument("--models", default="ViT-B-32,ViT-B-32-256")
    args = parser.parse_args()
    photos = camera_photos(args.photos)
    device = pick_placement().device
    precisions = ["fp32"] + (["bf16"] if device == "cpu" and cpu_has_fast_bf16() else [])
    if device != "cpu":
        precisions = ["fp32", "fp16"]
    workers = max(2, torch.get_num_threads())
    print(f"{len(photos)} photos of 12 MP, device {device}, torch threads {torch.get_num_threads()}")
    print(f"{'model':14} {'prec':5} {'E emb/s':>8} {'D dec/s':>8} {'bound':>7} {'e2e/s':>7} {'ratio':>6}")
    for arch in args.models.split(","):
        for precision in precisions:
            placement = Placement(device, precision, 32 if device == "cpu" else 128)
            embedder = Embedder(ModelSpec(arch, RANDOM_WEIGHTS), Path(tempfile.gettempdir()), placement)
            embedder.load()
            e = embed_only(embedder, max(96, args.photos))
            d = decode_only(embedder, photos, workers)
            bound = 1 / (1 / e + 1 / d)
            e2e = end_to_end(embedder, photos)
            print(f"{arch:14} {embedder.info.precision:5} {e:8.1f} {d:8.1f} {bound:7.1f} "
                  f"{e2e:7.1f} {e2e / bound:6.2f}", flush=True)


if __name__ == "__main__":
    main()

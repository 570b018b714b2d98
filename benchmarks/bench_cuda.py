"""GPU against CPU in one run: embedding, decode+embed indexing rate and search latency.

For a machine with a CUDA GPU; finishes in a few minutes. Random-weight ViT-B-32
(compute does not depend on the weights), generated photos (12 MP camera JPEGs
and 640 px ones), 1,000,000 synthetic 512-d vectors for search. Each figure is
printed beside the CPU's from the same run, so the ratio is what to read.

    python benchmarks/bench_cuda.py [--photos 96] [--vectors 1000000]

Indexing goes through photofinder's Indexer into LanceDB when lancedb is
installed; otherwise through the same decode pool and embedder, without the
store (the line says which).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import camera_photos

from photofinder.embedder import RANDOM_WEIGHTS, Embedder, ModelSpec
from photofinder.hardware import Placement, cpu_has_fast_bf16, cpu_name
from photofinder.indexing.images import load_image

ARCH = "ViT-B-32"


def embedder_for(device: str, backend: str, models: Path) -> Embedder:
    precision = backend.split("-")[1] if backend.startswith("torch") else "fp32"
    batch = 128 if device == "cuda" else 32
    embedder = Embedder(ModelSpec(ARCH, RANDOM_WEIGHTS), models,
                        Placement(device, precision, batch), backend=backend)
    embedder.load()
    return embedder


def embed_rate(embedder: Embedder, seconds: float = 8.0) -> float:
    size = embedder.input_size
    batch = torch.randn(embedder.batch_size, 3, size, size)
    embedder.embed_tensors(batch)  # warm-up
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        embedder.embed_tensors(batch)
        done += len(batch)
    return done / (time.perf_counter() - started)


def index_rate(embedder: Embedder, photos: list[Path]) -> tuple[float, str]:
    """Photos per second through the Indexer into LanceDB, or decode pool + embedder."""
    try:
        import lancedb  # noqa: F401
    except ImportError:
        return pipeline_rate(embedder, photos), "decode+embed (no lancedb here)"
    from photofinder.indexing.indexer import Indexer
    from photofinder.store import PhotoStore

    with tempfile.TemporaryDirectory() as tmp:
        store = PhotoStore(Path(tmp), embedder.info.model_id, embedder.info.dimension)
        started = time.perf_counter()
        changes = Indexer(store, embedder).run([photos[0].parent])
        assert len(changes.added) == len(photos), changes.problems[:3]
        return len(photos) / (time.perf_counter() - started), "Indexer into LanceDB"


def pipeline_rate(embedder: Embedder, photos: list[Path]) -> float:
    def prepare(path: Path):
        return embedder.preprocess(load_image(path, embedder.input_size).image)

    started = time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        tensors = []
        for tensor in pool.map(prepare, photos):
            tensors.append(tensor)
            if len(tensors) == embedder.batch_size:
                embedder.embed_tensors(np.stack(tensors))
                tensors = []
        if tensors:
            embedder.embed_tensors(np.stack(tensors))
    return len(photos) / (time.perf_counter() - started)


def search_latency(vectors: torch.Tensor, queries: torch.Tensor, k: int = 100) -> tuple[float, torch.Tensor]:
    """Median milliseconds of an exact top-k (one matrix-vector product) per query."""
    times, found = [], []
    for q in queries:
        if vectors.is_cuda:
            torch.cuda.synchronize()
        started = time.perf_counter()
        best = torch.topk(torch.mv(vectors, q.to(vectors.dtype)).float(), k).indices
        found.append(best.cpu())
        times.append(time.perf_counter() - started)
    return statistics.median(times[3:]) * 1000, torch.stack(found)


def synthetic_vectors(count: int, dimension: int = 512) -> torch.Tensor:
    """Clustered unit vectors, like CLIP embeddings of a photo library."""
    generator = torch.Generator().manual_seed(0)
    centres = torch.nn.functional.normalize(torch.randn(1000, dimension, generator=generator), dim=1)
    owner = torch.randint(0, 1000, (count,), generator=generator)
    noise = torch.randn(count, dimension, generator=generator) * 0.03
    return torch.nn.functional.normalize(centres[owner] + noise, dim=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=96)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_cuda: no CUDA device here")
    print(f"GPU {torch.cuda.get_device_name()}, CPU {cpu_name()} x{os.cpu_count()}, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}", flush=True)
    workers = os.cpu_count() or 2
    big = camera_photos(args.photos, workers=workers)
    small = camera_photos(args.photos * 2, big[0].parent.with_name("photos-640px"), (640, 480), workers)
    cpu_backend = "torch-bf16" if cpu_has_fast_bf16() else "torch-fp32"
    candidates = [("cuda", "torch-fp16"), ("cuda", "torch-fp32"), ("cpu", cpu_backend), ("cpu", "onnx-int8")]
    print(f"{'device':6} {'backend':11} {'embed/s':>8} {'12MP idx/s':>10} {'640px idx/s':>11}  how")
    with tempfile.TemporaryDirectory() as models:
        for device, backend in candidates:
            try:
                embedder = embedder_for(device, backend, Path(models))
            except Exception as exc:  # noqa: BLE001 - report and carry on with the others
                print(f"{device:6} {backend:11} unavailable: {exc}", flush=True)
                continue
            e = embed_rate(embedder, 8.0 if device == "cuda" else 5.0)
            r12, how = index_rate(embedder, big)
            r640, _ = index_rate(embedder, small)
            print(f"{device:6} {embedder.info.backend:11} {e:8.1f} {r12:10.1f} {r640:11.1f}  {how}",
                  flush=True)
            del embedder
            torch.cuda.empty_cache()
    vectors = synthetic_vectors(args.vectors)
    queries = torch.nn.functional.normalize(vectors[torch.randperm(len(vectors))[:53]]
                                            + 0.05 * torch.randn(53, vectors.shape[1]), dim=1)
    cpu_ms, cpu_found = search_latency(vectors.half(), queries)
    gpu_ms, gpu_found = search_latency(vectors.half().cuda(), queries.cuda())
    overlap = np.mean([len(set(a.tolist()) & set(b.tolist())) / len(a)
                       for a, b in zip(cpu_found, gpu_found)])
    print(f"exact top-100 over {len(vectors):,} fp16 vectors: CPU {cpu_ms:.2f} ms, "
          f"GPU {gpu_ms:.3f} ms ({cpu_ms / gpu_ms:.0f}x), same hits {overlap:.3f}", flush=True)


if __name__ == "__main__":
    main()

"""Near-duplicates: grouping time up to 100,000 photos, and precision/recall on real copies.

  scale   synthetic libraries (clustered 512-d unit vectors like CLIP's, random 64-bit
          hashes) with planted copies (vector noise at cosine ~0.97, 0-6 hash bits
          flipped): seconds to group (duplicate_pairs + group_indices), recall of the
          planted pairs and false pairs found, against the baseline measured in the same
          run: comparing every pair's hash (numpy XOR + popcount in blocks), and every
          pair's cosine (numpy, all BLAS threads), each timed on 10,000 photos and scaled
          by n^2 (both are quadratic).
  photos  the generated set of tests (photofinder_testing/duplicate_set.py): real photos,
          each re-encoded, resized 50%, cropped 5%, EXIF-rotated and burst-shifted, among
          distinct real and generated photos, indexed with the tiny model: pair precision
          and recall.

    python benchmarks/bench_duplicates.py [--sizes 10000 30000 100000] [--no-photos]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from photofinder.duplicates import duplicate_pairs, group_indices

DIM = 512
PLANTED_SHARE = 0.03  # photos that get a copy


def synthetic(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, set[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    originals = count - int(count * PLANTED_SHARE)
    centres = rng.normal(size=(max(10, count // 200), DIM))
    vectors = centres[rng.integers(0, len(centres), originals)] + 1.2 * rng.normal(size=(originals, DIM))
    copied = rng.choice(originals, count - originals, replace=False)
    copies = vectors[copied] + 0.15 * rng.normal(size=(len(copied), DIM)) * np.linalg.norm(
        vectors[copied], axis=1, keepdims=True) / np.sqrt(DIM)
    vectors = np.concatenate([vectors, copies])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    hashes = rng.integers(-2**63, 2**63 - 1, originals, dtype=np.int64)
    masks = np.zeros(len(copied), dtype=np.uint64)
    for row, flipped in enumerate(rng.integers(0, 7, len(copied))):
        for bit in rng.choice(64, flipped, replace=False):
            masks[row] |= np.uint64(1) << np.uint64(bit)
    hashes = np.concatenate([hashes, hashes[copied] ^ masks.view(np.int64)])
    planted = {(int(a), originals + i) for i, a in enumerate(copied)}
    return hashes, vectors, planted


def all_pairs_hash_seconds(hashes: np.ndarray, block: int = 1000) -> float:
    started = time.perf_counter()
    unsigned = hashes.view(np.uint64)
    for start in range(0, len(unsigned), block):
        near = np.bitwise_count(unsigned[start:start + block, None] ^ unsigned[None, :]) <= 16
        near.sum()
    return time.perf_counter() - started


def all_pairs_cosine_seconds(vectors: np.ndarray, block: int = 2000) -> float:
    started = time.perf_counter()
    for start in range(0, len(vectors), block):
        (vectors[start:start + block] @ vectors.T >= 0.88).sum()
    return time.perf_counter() - started


def bench_scale(sizes: list[int]) -> None:
    hashes, vectors, _ = synthetic(10_000)
    baseline_10k = all_pairs_hash_seconds(hashes)
    cosine_10k = all_pairs_cosine_seconds(vectors)
    print(f"baselines, 10,000 photos: every pair's hash compared {baseline_10k:.2f} s, "
          f"every pair's cosine {cosine_10k:.2f} s (both scaled by n^2 below)")
    print(f"{'photos':>8} {'group s':>8} {'all-pairs s (est.)':>19} {'speed-up':>9} "
          f"{'cosines s (est.)':>17} {'planted':>8} {'recall':>7} {'false':>6} {'groups':>7}")
    for count in sizes:
        hashes, vectors, planted = synthetic(count)
        started = time.perf_counter()
        pairs = duplicate_pairs(hashes, vectors)
        groups = group_indices(count, pairs)
        seconds = time.perf_counter() - started
        found = {tuple(p) for p in pairs.tolist()}
        estimate = baseline_10k * (count / 10_000) ** 2
        print(f"{count:8d} {seconds:8.2f} {estimate:19.1f} {estimate / seconds:8.1f}x "
              f"{cosine_10k * (count / 10_000) ** 2:17.1f} {len(planted):8d} "
              f"{len(found & planted) / len(planted):7.3f} "
              f"{len(found - planted):6d} {len(groups):7d}")


def bench_photos() -> None:
    from photofinder.embedder import MODEL_CONFIGS_ENV
    from photofinder.library import Library
    from photofinder_testing.duplicate_set import make_duplicate_set
    from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
    from photofinder_testing.tinymodel.train import ensure_trained

    shared = Path(os.environ.get("PHOTOFINDER_TEST_PHOTOS", Path(__file__).resolve().parents[2]
                                 / "shared" / "photos" / "coco-train")) / "images"
    models = Path(os.environ.get("PHOTOFINDER_TEST_CACHE",
                                 Path(__file__).resolve().parents[1] / ".cache" / "test-models"))
    with tempfile.TemporaryDirectory() as home:
        os.environ.update({MODEL_CONFIGS_ENV: str(CONFIG_DIR)}, PHOTOFINDER_HOME=home,
                          PHOTOFINDER_MODEL=MODEL_NAME,
                          PHOTOFINDER_WEIGHTS=str(ensure_trained(models)))
        photos = sorted(shared.glob("*.jpg"))
        truth = make_duplicate_set(photos, Path(home) / "photos", originals=len(photos) // 2)
        library = Library()
        library.add_folder(Path(home) / "photos")
        library.index()
        started = time.perf_counter()
        found = [{p.path for p in g.photos} for g in library.duplicates()]
        seconds = time.perf_counter() - started

    def pairs(groups):
        return {(a, b) for g in groups for a in g for b in g if a < b}

    true_pairs, found_pairs = pairs(truth), pairs(found)
    hits = len(true_pairs & found_pairs)
    print(f"generated set: {sum(map(len, truth))} photos in {len(truth)} groups, among "
          f"{len(photos) - len(truth)} real and 60 generated distinct photos")
    print(f"pairs: precision {hits / max(1, len(found_pairs)):.3f}, recall {hits / len(true_pairs):.3f}; "
          f"groups exactly right {sum(g in truth for g in found)}/{len(truth)}, "
          f"found {len(found)}; grouping {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--no-photos", action="store_true", help="skip the real-photo set")
    args = parser.parse_args()
    bench_scale(args.sizes)
    if not args.no_photos:
        bench_photos()


if __name__ == "__main__":
    main()

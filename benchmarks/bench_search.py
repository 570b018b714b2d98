"""Search latency and recall from 1,000 to 1,000,000 photos, and the cost of adding more.

Synthetic 512-d vectors clustered like CLIP image embeddings, and text-like
queries that sit across CLIP's modality gap (cosine ~0.3 to their photos). For
each library size, in the same run:
  baseline  exact top-100 by an in-memory numpy float32 matrix product,
  store     photofinder's PhotoStore.search (its in-memory index: exact below
            PARTITION_MIN_ROWS, k-means partitions built in the background above
            it), median latency and recall@100 against the baseline,
  load      seconds a freshly opened store takes to read its vectors into memory,
            and seconds until the background partitioning is done,
  filters   the same searches with a folder filter and with a date filter,
  disk      bytes a photo takes in the table, built as indexing builds it (commits
            of COMMIT_ROWS photos, the store's own upkeep, an optimise at the end),
  write     seconds to add 1,000 photos, and the bytes that write added on disk,
  indexing  end-to-end photos/s of indexing 12 MP camera JPEGs into that table
            (scan, fingerprint lookup, decode, embed, store, grid thumbnail) with
            ViT-B-32, and the seconds of that run spent in the store (lookups and
            commits: what a bigger library could slow down),
  memory    the process's resident memory,
  snapshot  seconds to save the in-memory index (vector_snapshot), to map it in a
            freshly opened store as after a restart, its first search (paging the
            vectors in), then median latency and recall as above.
It also reports the text-embedding latency of one query, the thumbnail cache's
bytes a photo (the camera JPEGs, and the real photos of ../shared where present),
prints ratios against the baseline and draws docs/scaling.png.

    python benchmarks/bench_search.py [--sizes 1000,10000,100000,1000000] [--queries 50]
                                      [--camera-photos 48] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import camera_photos

from photofinder.embedder import RANDOM_WEIGHTS, Embedder, ModelSpec
from photofinder.indexing.indexer import COMMIT_ROWS, Indexer
from photofinder.records import Photo, SearchFilter
from photofinder.store import PhotoStore
from photofinder.vector_index import PARTITION_MIN_ROWS

DIM = 512
K = 100
FOLDERS = 20
ROOT = "/home/someone/Pictures"
DOCS = Path(__file__).resolve().parents[1] / "docs"
SHARED_PHOTOS = Path(os.environ.get("PHOTOFINDER_TEST_PHOTOS", Path(__file__).resolve().parents[2]
                                    / "shared" / "photos" / "coco-train")) / "images"


class Corpus:
    """Deterministic clustered unit vectors, generated in chunks to bound memory."""

    def __init__(self, seed: int = 0, clusters: int = 2000):
        rng = np.random.default_rng(seed)
        self.centres = _unit(rng.normal(size=(clusters, DIM)).astype(np.float32))
        self.gap = _unit(rng.normal(size=(1, DIM)).astype(np.float32))[0]
        self.seed = seed

    def images(self, start: int, count: int, block: int = 1000) -> np.ndarray:
        """Rows start..start+count; row i is the same whichever chunk asks for it."""
        first, last = start // block, (start + count - 1) // block
        rows = np.concatenate([self._block(b, block) for b in range(first, last + 1)])
        return rows[start - first * block:start - first * block + count]

    def _block(self, index: int, block: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, index))
        which = rng.integers(0, len(self.centres), block)
        noise = rng.normal(scale=1.0 / np.sqrt(DIM), size=(block, DIM)).astype(np.float32)
        return _unit(self.centres[which] + 0.9 * noise)

    def text_queries(self, count: int) -> np.ndarray:
        rng = np.random.default_rng((self.seed, 2**40))
        which = rng.integers(0, len(self.centres), count)
        noise = rng.normal(scale=1.0 / np.sqrt(DIM), size=(count, DIM)).astype(np.float32)
        return _unit(0.45 * self.centres[which] + 1.0 * self.gap + 0.8 * noise)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def photos_for(start: int, count: int) -> list[Photo]:
    """Rows shaped like a real library's: month folders under a home folder, SHA-256
    fingerprints (which do not compress)."""
    base = datetime(2015, 1, 1)
    photos = []
    for i in range(start, start + count):
        taken = base + timedelta(minutes=5 * i)
        folder = f"{ROOT}/f{i % FOLDERS:02d}/{taken:%Y-%m}"
        photos.append(Photo(path=f"{folder}/IMG_{i:07d}.jpg", folder=folder, size=3_000_000,
                            mtime_ns=i, fingerprint=hashlib.sha256(i.to_bytes(8, "little")).hexdigest(),
                            width=4000, height=3000, taken_at=taken))
    return photos


def grow(store: PhotoStore, corpus: Corpus, have: int, want: int) -> None:
    """Add rows up to ``want`` as indexing does: many commits, then one optimise. Commits
    hold 40 indexer batches each (the same layout once the store's upkeep has merged
    them), so a million rows take minutes, not the hours indexing them would."""
    chunk = 40 * COMMIT_ROWS
    for start in range(have, want, chunk):
        count = min(chunk, want - start)
        store.upsert(photos_for(start, count), corpus.images(start, count))
    store.optimize()


def exact_top(matrix: np.ndarray, queries: np.ndarray) -> tuple[list[set[int]], float]:
    times, tops = [], []
    for q in queries:
        started = time.perf_counter()
        scores = matrix @ q
        top = np.argpartition(-scores, K)[:K]
        times.append(time.perf_counter() - started)
        tops.append(set(top.tolist()))
    return tops, statistics.median(times) * 1000


def store_search(store: PhotoStore, queries: np.ndarray, search_filter=None):
    times, tops = [], []
    for q in queries:
        started = time.perf_counter()
        hits = store.search(q, K, search_filter)
        times.append(time.perf_counter() - started)
        tops.append({int(h.photo.path[-11:-4]) for h in hits})
    return tops, statistics.median(times) * 1000


def recall(found: list[set[int]], truth: list[set[int]]) -> float:
    return float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth)]))


def disk_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def allocated_bytes(folder: Path) -> int:
    """What the files take on the disk: small files round up to whole blocks."""
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file())


def resident_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS")) / 1024


def open_in_memory(index_dir: Path) -> tuple[PhotoStore, float, float]:
    """A fresh store, as after a restart: seconds to load its vectors, and until partitioned."""
    store = PhotoStore(index_dir, "bench/synthetic", DIM)
    started = time.perf_counter()
    memory = store.vectors_in_memory()
    load_s = time.perf_counter() - started
    if len(memory) >= PARTITION_MIN_ROWS:
        # Partitioning may start during the load and run again after it: wait for both,
        # so no k-means runs under the measurements that follow.
        while not memory.partitioned or _partitioning():
            time.sleep(0.05)
    return store, load_s, time.perf_counter() - started - load_s


def _partitioning() -> bool:
    return any(t.name == "pf-partition" for t in threading.enumerate())


class TimedStore:
    """A store whose calls add up the seconds they take."""

    def __init__(self, store: PhotoStore):
        self.store = store
        self.seconds = 0.0

    def __getattr__(self, name: str):
        method = getattr(self.store, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed


def indexing_rate(store: PhotoStore, embedder: Embedder | None, photos: list[Path],
                  rounds: int) -> tuple[float, float]:
    """End-to-end photos/s of indexing new camera photos into this table, grid thumbnails
    included as in the app (then both forgotten), and the seconds of a run spent in the
    store: the part that may grow with the library. Other work on the machine only adds
    time, so the best of ``rounds``."""
    if embedder is None or not photos:
        return float("nan"), float("nan")
    best, store_s = float("inf"), float("inf")
    for _ in range(rounds):
        timed = TimedStore(store)
        with tempfile.TemporaryDirectory() as thumbnails:
            started = time.perf_counter()
            changes = Indexer(timed, embedder, thumbnails=Path(thumbnails)).run([photos[0].parent])
            best = min(best, time.perf_counter() - started)
        store_s = min(store_s, timed.seconds)
        assert len(changes.added) == len(photos), changes.problems[:3]
        store.delete_below(str(photos[0].parent))
    return len(photos) / best, store_s


def thumbnail_bytes(embedder: Embedder, folder: Path) -> tuple[int, float, float] | None:
    """(photos, apparent KB, KB on disk) a photo of the thumbnail cache that indexing
    ``folder`` fills."""
    photos = sorted(folder.glob("*.jpg"))
    if not photos:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        store = PhotoStore(Path(tmp) / "index", "bench/thumbnails", embedder.info.dimension)
        Indexer(store, embedder, thumbnails=Path(tmp) / "thumbnails").run([folder])
        cache = Path(tmp) / "thumbnails"
        return len(photos), disk_bytes(cache) / len(photos) / 1e3, \
            allocated_bytes(cache) / len(photos) / 1e3


def measure_size(index_dir, corpus, size, queries, embedder, photos, rounds) -> dict:
    store, load_s, partition_s = open_in_memory(index_dir)
    started = time.perf_counter()
    store.save_snapshot()  # what a restart then maps instead of reading the table
    save_s = time.perf_counter() - started
    restarted = PhotoStore(index_dir, "bench/synthetic", DIM)
    started = time.perf_counter()
    restarted.vectors_in_memory()
    mapped_s = time.perf_counter() - started
    _, first_ms = store_search(restarted, queries[:1])  # pages the mapped vectors in
    mapped_found, mapped_ms = store_search(restarted, queries)
    del restarted
    matrix = np.concatenate([corpus.images(s, min(100_000, size - s)) for s in range(0, size, 100_000)])
    truth, baseline_ms = exact_top(matrix, queries)
    del matrix
    store_search(store, queries[:3])  # warm caches
    found, store_ms = store_search(store, queries)
    folder = SearchFilter(folders=(f"{ROOT}/f03",))
    _, folder_ms = store_search(store, queries, folder)
    dated = SearchFilter(taken_after=datetime(2015, 1, 1) + timedelta(minutes=5 * size // 2))
    _, date_ms = store_search(store, queries, dated)
    before = disk_bytes(index_dir)
    started = time.perf_counter()
    store.upsert(photos_for(size, 1000), corpus.images(size, 1000))
    add_s = time.perf_counter() - started
    added_bytes = disk_bytes(index_dir) - before
    store.delete_paths([p.path for p in photos_for(size, 1000)])
    rate, store_s = indexing_rate(store, embedder, photos, rounds)
    return dict(size=size, baseline_ms=baseline_ms, store_ms=store_ms, recall=recall(found, truth),
                folder_ms=folder_ms, date_ms=date_ms, add_s=add_s, added_mb=added_bytes / 1e6,
                table_mb=before / 1e6, bytes_per_photo=before / size, load_s=load_s,
                partition_s=partition_s, save_s=save_s, mapped_s=mapped_s, first_ms=first_ms,
                mapped_ms=mapped_ms, mapped_recall=recall(mapped_found, truth),
                index_rate=rate, index_store_s=store_s, photos=len(photos), rss_mb=resident_mb())


def text_embedding_ms(embedder: Embedder) -> float:
    embedder.embed_texts(["warm up"])
    times = []
    for i in range(20):
        started = time.perf_counter()
        embedder.embed_texts([f"a dog on a beach at sunset {i}"])
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def plot(results: list[dict]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["size"] for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog(sizes, [r["store_ms"] for r in results], "o-", label="photofinder search")
    left.loglog(sizes, [r["baseline_ms"] for r in results], "s--", label="numpy exact (baseline)")
    left.loglog(sizes, [r["folder_ms"] for r in results], "^:", label="with folder filter")
    left.set(xlabel="photos in the library", ylabel="top-100 latency (ms, median)",
             title="Search latency")
    left.legend()
    right.semilogx(sizes, [r["index_rate"] for r in results], "o-", label="12 MP JPEGs, ViT-B-32")
    right.set(xlabel="photos in the library", ylabel="photos indexed per second",
              title="Indexing rate (end to end)", ylim=(0, None))
    in_store = right.twinx()  # the end-to-end rate swings with other work; this does not
    in_store.semilogx(sizes, [100 * r["index_store_s"] * r["index_rate"] / max(r["photos"], 1)
                                  for r in results],
                      "s--", color="tab:orange", label="share of the run in the store")
    in_store.set(ylabel="% of the run in the store", ylim=(0, 100))
    lines = right.get_legend_handles_labels()
    more = in_store.get_legend_handles_labels()
    right.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right")
    fig.tight_layout()
    DOCS.mkdir(exist_ok=True)
    out = DOCS / "scaling.png"
    fig.savefig(out, dpi=90)
    return out


def print_thumbnail_bytes(embedder: Embedder, camera_folder: Path) -> None:
    """The thumbnail cache's size a photo. Indexing the camera photos here also runs the
    model once at each batch size the timed runs use, so the first size is not slowed
    by the model's warm-up."""
    for name, folder in (("12 MP camera JPEGs", camera_folder), ("photos of ../shared", SHARED_PHOTOS)):
        found = thumbnail_bytes(embedder, folder) if folder.is_dir() else None
        if found:
            print(f"thumbnail cache, {found[0]} {name}: {found[1]:.1f} KB a photo "
                  f"({found[2]:.1f} KB on disk)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--camera-photos", type=int, default=48,
                        help="photos indexed end to end at each size (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="indexing runs at each size (best)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    corpus = Corpus()
    queries = corpus.text_queries(args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        embedder, photos = None, []
        if args.camera_photos:
            embedder = Embedder(ModelSpec("ViT-B-32", RANDOM_WEIGHTS), Path(tempfile.gettempdir()))
            embedder.load()
            print(f"ViT-B-32 on {embedder.info.device} in {embedder.info.precision}: "
                  f"one text query embeds in {text_embedding_ms(embedder):.1f} ms (median of 20)")
            photos = camera_photos(args.camera_photos, Path(tmp) / "new-photos")
            print_thumbnail_bytes(embedder, photos[0].parent)
        print(f"partitions from {PARTITION_MIN_ROWS:,} rows; k={K}; {args.queries} text-like queries")
        print(f"{'photos':>9} {'numpy ms':>9} {'store ms':>9} {'ratio':>6} {'recall':>7} "
              f"{'folder ms':>9} {'date ms':>8} {'load s':>7} {'part s':>7} {'add 1k s':>8} "
              f"{'added MB':>8} {'table MB':>8} {'B/photo':>7} {'index/s':>8} {'store s':>7} {'RSS MB':>7}")
        index_dir = Path(tmp) / "index"
        writer = PhotoStore(index_dir, "bench/synthetic", DIM)
        snapshots = []
        results, have = [], 0
        for size in (int(s) for s in args.sizes.split(",")):
            grow(writer, corpus, have, size)
            have = size
            r = measure_size(index_dir, corpus, size, queries, embedder, photos, args.rounds)
            results.append(r)
            print(f"{size:>9,} {r['baseline_ms']:9.2f} {r['store_ms']:9.2f} "
                  f"{r['store_ms'] / r['baseline_ms']:6.2f} {r['recall']:7.3f} {r['folder_ms']:9.2f} "
                  f"{r['date_ms']:8.2f} {r['load_s']:7.2f} {r['partition_s']:7.1f} {r['add_s']:8.2f} "
                  f"{r['added_mb']:8.2f} {r['table_mb']:8.1f} {r['bytes_per_photo']:7.0f} "
                  f"{r['index_rate']:8.1f} {r['index_store_s']:7.3f} {r['rss_mb']:7.0f}", flush=True)
            snapshots.append(f"{size:>9,} {r['save_s']:7.2f} {r['mapped_s']:7.3f} {r['first_ms']:8.1f} "
                             f"{r['mapped_ms']:9.2f} {r['mapped_recall']:7.3f}")
        print("after a restart, the saved snapshot mapped instead of the table read (load s above):")
        print(f"{'photos':>9} {'save s':>7} {'map s':>7} {'1st ms':>8} {'search ms':>9} {'recall':>7}")
        print("\n".join(snapshots))
    if not args.no_plot:
        print(f"plot: {plot(results)}")


if __name__ == "__main__":
    main()

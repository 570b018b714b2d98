"""Search at 1M photos through the saved snapshot, and at 5M through mapped vectors
that need not fit in memory: latency p50/p95 and recall@100 against an exact scan
measured in the same run.

1M (the product's own path, start to end): synthetic CLIP-like vectors (bench_search's
Corpus: clustered image vectors, text-like queries across the modality gap) go into a
VectorIndex, are partitioned by it (k-means, ROWS_PER_PARTITION rows each) and saved
by vector_snapshot as the store saves them (cached under .cache/bench, so a rerun
skips the minutes of partitioning). Then, in one run:
  exact     numpy float32 scan of every mapped row (the baseline, and the truth),
  window    VectorIndex.from_snapshot, the window's mapped torch index, probing,
  cli       SnapshotSearch, the one-off command-line search (numpy), probing,
  cli-scan  SnapshotSearch with the partitions hidden: the exact scan it did before.

5M (the beyond-RAM path): 5,000,000 vectors written in chunks as float16 into a file
sorted by k-means partition (2,000 partitions learned on a sample, as the index's
own _kmeans/_nearest do), never all in memory; VectorIndex.from_snapshot maps it
and probes a share of the rows (--probe-5m). Truth: exact float32 top-100 of the
queries, computed chunk by chunk while the vectors are generated. Reported: latency
of the first queries (pages read from the file) and warm, recall@100, the process's
resident memory (anonymous and file-backed) and the file size. The 5M files are
deleted at the end unless --keep-5m. This is a benchmark of the search path: the
store builds its snapshot from an index in memory, so it would need the 5 GB too.

    python benchmarks/bench_large_search.py [--sizes 1m,5m] [--queries 50] [--probe-5m 0.02]
                                            [--keep-5m]
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import replace
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search import DIM, K, Corpus
from camera_photos import CACHE

import photofinder.partition_probe as partition_probe
from photofinder import vector_index
from photofinder.store import METADATA_COLUMNS, METADATA_FIELDS
from photofinder.vector_index import VectorIndex
from photofinder.vector_snapshot import (
    VECTORS_F16, Snapshot, SnapshotSearch, open_snapshot, save,
)

CHUNK = 100_000
PARTITIONS_5M = 2000


def metadata(start: int, count: int) -> pa.Table:
    """Rows as the store keeps them: a path and folder each, the rest left empty."""
    numbers = np.arange(start, start + count)
    folders = np.char.add("/home/someone/Pictures/f", (numbers % 20).astype(str))
    paths = np.char.add(np.char.add(folders, "/IMG_"), np.char.add(numbers.astype(str), ".jpg"))
    columns = {"path": pa.array(paths), "folder": pa.array(folders)}
    return pa.table({f.name: columns.get(f.name, pa.nulls(count, f.type)) for f in METADATA_FIELDS})


def row_number(path: str) -> int:
    return int(path.rsplit("_", 1)[1][:-4])


def snapshot_1m(corpus: Corpus, size: int) -> Path:
    """The store's snapshot of a partitioned index of ``size`` rows, made once."""
    folder = CACHE / f"snapshot-{size}"
    if open_snapshot(folder, 1, DIM, METADATA_COLUMNS) is not None:
        return folder
    index = VectorIndex(DIM, pa.schema(METADATA_FIELDS))
    started = time.perf_counter()
    for start in range(0, size, CHUNK):
        rows = metadata(start, min(CHUNK, size - start))
        vectors = corpus.images(start, rows.num_rows)
        rows = rows.append_column("vector", pa.FixedSizeListArray.from_arrays(
            pa.array(vectors.reshape(-1)), DIM))
        index.append(rows, partition=False)
    print(f"  made {size:,} vectors in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    index.partition()
    print(f"  partitioned in {time.perf_counter() - started:.0f} s", flush=True)
    save(folder, 1, *index.snapshot_parts())
    return folder


def timed(search, queries: np.ndarray) -> tuple[list[set[int]], list[float]]:
    found, times = [], []
    for q in queries:
        started = time.perf_counter()
        rows = search(q)
        times.append((time.perf_counter() - started) * 1000)
        found.append(set(rows))
    return found, times


def exact_top(vectors: np.ndarray, q: np.ndarray) -> list[int]:
    scores = vectors @ q
    return np.argpartition(-scores, K)[:K].tolist()


def recall(found: list[set[int]], truth: list[set[int]]) -> float:
    return float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth)]))


def line(name: str, times: list[float], found=None, truth=None) -> str:
    p50, p95 = statistics.median(times), float(np.percentile(times, 95))
    r = f"{recall(found, truth):7.3f}" if found is not None else f"{'(truth)':>7}"
    return f"  {name:22} p50 {p50:8.2f} ms  p95 {p95:8.2f} ms  recall@{K} {r}"


def measure_1m(corpus: Corpus, queries: np.ndarray, size: int) -> None:
    print(f"{size:,} vectors: the product's snapshot, partitions of "
          f"{vector_index.ROWS_PER_PARTITION} rows, probe share {partition_probe.PROBE_SHARE}")
    folder = snapshot_1m(corpus, size)
    snapshot = open_snapshot(folder, 1, DIM, METADATA_COLUMNS)
    vectors = np.ascontiguousarray(snapshot.vectors_f32)  # in RAM: the scan's best case
    numbers = np.array([row_number(p) for p in snapshot.metadata.column("path").to_pylist()])
    truth, exact_ms = timed(lambda q: numbers[exact_top(vectors, q)].tolist(), queries)
    vectors = None  # the scan's copy: 2 GB
    window = VectorIndex.from_snapshot(snapshot, pa.schema(METADATA_FIELDS))
    while any(t.name == "pf-page-in" for t in __import__("threading").enumerate()):
        time.sleep(0.05)  # searched once paged in: the steady state, not the first second
    window_found, window_ms = timed(
        lambda q: [row_number(p) for p in window.search(q, K)[0].column("path").to_pylist()], queries)
    cli = SnapshotSearch(snapshot, "bench", lambda: None)
    cli.search(queries[0], K)  # its pages were read by the window's page-in: warm
    cli_found, cli_ms = timed(lambda q: [row_number(h.photo.path) for h in cli.search(q, K)], queries)
    unpartitioned = SnapshotSearch(replace(snapshot, centroids=None, starts=None, covered=0),
                                   "bench", lambda: None)
    scan_found, scan_ms = timed(
        lambda q: [row_number(h.photo.path) for h in unpartitioned.search(q, K)], queries)
    print(line("exact (numpy, in RAM)", exact_ms))
    print(line("window (torch, mapped)", window_ms, window_found, truth))
    print(line("cli (numpy, mapped)", cli_ms, cli_found, truth))
    print(line("cli before: full scan", scan_ms, scan_found, truth))
    print(f"  window {window.dtype}; ratio to exact: window "
          f"{statistics.median(window_ms) / statistics.median(exact_ms):.2f}, cli "
          f"{statistics.median(cli_ms) / statistics.median(exact_ms):.2f}", flush=True)


def resident() -> dict[str, float]:
    with open("/proc/self/status") as fh:
        fields = dict(line.split(":", 1) for line in fh)
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}


def build_5m(corpus: Corpus, queries: np.ndarray, size: int, folder: Path) -> list[set[int]]:
    """The float16 file sorted by partition, its partitions and metadata, written into
    ``folder`` chunk by chunk; returns the exact float32 top-K of each query."""
    started = time.perf_counter()
    raw = np.lib.format.open_memmap(folder / "unsorted.npy", "w+", np.float16, (size, DIM))
    best_scores = np.full((len(queries), 0), -np.inf, np.float32)
    best_rows = np.zeros((len(queries), 0), np.int64)
    for start in range(0, size, CHUNK):
        chunk = corpus.images(start, min(CHUNK, size - start))
        raw[start:start + len(chunk)] = chunk
        scores = np.concatenate([best_scores, queries @ chunk.T], axis=1)
        rows = np.concatenate([best_rows, np.broadcast_to(np.arange(start, start + len(chunk)),
                                                          (len(queries), len(chunk)))], axis=1)
        keep = np.argpartition(-scores, K, axis=1)[:, :K]
        best_scores, best_rows = np.take_along_axis(scores, keep, 1), np.take_along_axis(rows, keep, 1)
    raw.flush()
    print(f"  generated {size:,} vectors and the exact top-{K} in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    mapped = torch.from_numpy(np.load(folder / "unsorted.npy", mmap_mode="r+"))
    centroids = vector_index._kmeans(mapped, PARTITIONS_5M)
    assignment = vector_index._nearest(mapped, centroids)
    order = np.argsort(assignment, kind="stable")
    counts = np.bincount(assignment, minlength=PARTITIONS_5M)
    print(f"  k-means ({PARTITIONS_5M} partitions) and assignment in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    final = np.lib.format.open_memmap(folder / VECTORS_F16, "w+", np.float16, (size, DIM))
    source = mapped.numpy()
    for start in range(0, size, CHUNK):
        picked = order[start:start + CHUNK]
        final[start:start + len(picked)] = source[np.sort(picked)][np.argsort(np.argsort(picked))]
    final.flush()
    del final, mapped, source
    (folder / "unsorted.npy").unlink()
    table = pa.concat_tables([metadata(s, min(CHUNK, size - s)) for s in range(0, size, CHUNK)])
    table = table.take(pa.array(order)).combine_chunks()
    with pa.OSFile(str(folder / "metadata.arrow"), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    np.savez(folder / "partitions.npz", centroids=centroids.numpy(),
             starts=np.concatenate([[0], np.cumsum(counts)]))
    print(f"  sorted by partition and written in {time.perf_counter() - started:.0f} s", flush=True)
    return [set(r.tolist()) for r in best_rows]


def measure_5m(corpus: Corpus, queries: np.ndarray, size: int, probe: float, keep: bool) -> None:
    """With ``keep`` the files stay in the cache for the next run (GBs: delete them)."""
    folder = CACHE / f"vectors-{size}" if keep else Path(tempfile.mkdtemp(prefix="pf-5m-", dir=CACHE))
    try:
        print(f"{size:,} vectors: float16 mapped from disk, {PARTITIONS_5M} partitions, "
              f"probe share {probe}")
        if (folder / "truth.npy").exists() and len(np.load(folder / "truth.npy")) == len(queries):
            truth = [set(row.tolist()) for row in np.load(folder / "truth.npy")]
        else:
            folder.mkdir(parents=True, exist_ok=True)
            truth = build_5m(corpus, queries, size, folder)
            np.save(folder / "truth.npy", np.array([sorted(t) for t in truth]))
        before = resident()
        vectors = np.load(folder / VECTORS_F16, mmap_mode="r")
        metadata_table = pa.ipc.open_file(pa.memory_map(str(folder / "metadata.arrow"))).read_all()
        metadata_table = pa.table({  # columns added to the store since the files were kept
            f.name: metadata_table.column(f.name) if f.name in metadata_table.column_names
            else pa.nulls(size, f.type) for f in METADATA_FIELDS})
        with np.load(folder / "partitions.npz") as parts:
            centroids, starts = parts["centroids"], parts["starts"]
        snapshot = Snapshot(folder, 1, vectors, metadata_table, centroids, starts, size, ())
        partition_probe.PROBE_SHARE = probe
        vector_index.PAGE_IN_SHARE = 0  # as where the file does not fit: read as probed
        index = VectorIndex.from_snapshot(snapshot, pa.schema(METADATA_FIELDS), torch.float16)
        # The page cache is shared with others here and is not dropped: "first queries"
        # read pages the build just wrote, as right after indexing.
        order_path = metadata_table.column("path")

        def search(q):
            rows, _ = index.search(q, K)
            return [row_number(p) for p in rows.column("path").to_pylist()]

        first_found, first_ms = timed(search, queries)
        warm_found, warm_ms = timed(search, queries)
        after = resident()
        scan = torch.from_numpy(vectors)

        def exact(q):
            scores = torch.mv(scan, torch.from_numpy(q).to(torch.float16)).float()
            rows = torch.topk(scores, K).indices.numpy()
            return [row_number(p) for p in order_path.take(pa.array(rows)).to_pylist()]

        exact_found, exact_ms = timed(exact, queries[:5])
        file_gb = sum(f.stat().st_size for f in folder.iterdir()) / 1e9
        print(line("exact scan (torch f16)", exact_ms, exact_found, truth[:5]))
        print(line("probe, first queries", first_ms, first_found, truth))
        print(line("probe, warm", warm_ms, warm_found, truth))
        print(f"  files {file_gb:.2f} GB (vectors {vectors.nbytes / 1e9:.2f} GB); resident MB "
              f"before mapping {before['VmRSS']:.0f}, after the searches {after['VmRSS']:.0f} "
              f"(anonymous {after['RssAnon']:.0f}, mapped file pages {after['RssFile']:.0f}); "
              f"ratio warm probe to exact scan "
              f"{statistics.median(warm_ms) / statistics.median(exact_ms):.3f}", flush=True)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1m,5m")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--probe-5m", type=float, default=0.02)
    parser.add_argument("--keep-5m", action="store_true",
                        help="keep the 5M files (6 GB) in the cache, and reuse them next time")
    args = parser.parse_args()
    corpus = Corpus()
    queries = corpus.text_queries(args.queries)
    print(f"torch threads {torch.get_num_threads()}; {args.queries} text-like queries, k={K}")
    for name in args.sizes.split(","):
        size = int(float(name.rstrip("m")) * 1_000_000)
        if size <= 2_000_000:
            measure_1m(corpus, queries, size)
        else:
            measure_5m(corpus, queries, size, args.probe_5m, args.keep_5m)


if __name__ == "__main__":
    main()

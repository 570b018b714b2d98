"""Every vector of one index table in RAM, so a search takes milliseconds.

LanceDB re-reads the vector column from disk on every flat query (~220 ms at
100,000 rows here), and its HNSW index takes minutes to build and needs a wide,
slow search to keep recall for text queries. A half-precision matrix in memory
answers an exact top-100 with one matrix-vector product instead: ~3 ms at
100,000 rows, ~35 ms at 1,000,000 (benchmarks/bench_search.py). Past
PARTITION_MIN_ROWS a background thread sorts the rows into k-means partitions
(an IVF index), and a query then reads only the partitions nearest to it.

The table on disk stays the truth: this index is filled from it, follows the
writes of the store that owns it, and is simply rebuilt after a restart.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import torch

from photofinder.hardware import cpu_has_fast_bf16
from photofinder.partition_probe import PROBE_SHARE, probed_ranges
from photofinder.records import Gate, SearchFilter
from photofinder.row_filters import (
    RemovalByPath, dates, filter_mask, gate_matrix, gates_passed, to_bools,
)

log = logging.getLogger("photofinder.vector_index")

# Below this many rows an exact scan is fast enough (~17 ms at 500k); above it partitions
# are built. Fewer than ~1,000 partitions lost recall for text queries (0.87 at 300k rows).
PARTITION_MIN_ROWS = 500_000
ROWS_PER_PARTITION = 500
# Rows added or removed since partitioning, as a share of all rows, that trigger a rebuild.
REBUILD_SHARE = 0.10
# A mapped snapshot is read in whole at once only while it takes at most this share of
# the free memory; a bigger one (millions of photos) stays on disk, and each search
# reads the partitions it probes (the kernel keeps the often-read ones).
PAGE_IN_SHARE = 0.5
KMEANS_ITERATIONS = 8
KMEANS_SAMPLE_PER_PARTITION = 64


@dataclass(frozen=True)
class Partitions:
    """Rows [starts[i], starts[i + 1]) belong to partition i; rows past ``covered``
    arrived after partitioning and are scanned exactly."""

    centroids: torch.Tensor  # (partitions, dimension) float32
    starts: np.ndarray  # (partitions + 1,) int64
    covered: int


def fastest_search_dtype(dimension: int) -> torch.dtype:
    """float16 halves the memory a scan reads and the RAM it takes, and scans 3-5x faster
    where the CPU converts half floats in hardware (measured at 100k-1M rows; this small
    probe fits in cache and understates it); where it is emulated, fall back to float32."""
    probe = torch.nn.functional.normalize(torch.randn(20_000, dimension), dim=1)
    query = probe[0].clone()

    def seconds(dtype: torch.dtype) -> float:
        matrix, q = probe.to(dtype), query.to(dtype)
        torch.mv(matrix, q)
        started = time.perf_counter()
        for _ in range(5):
            torch.mv(matrix, q)
        return time.perf_counter() - started

    return torch.float16 if seconds(torch.float16) < 2 * seconds(torch.float32) else torch.float32


class VectorIndex(RemovalByPath):
    """Vectors plus the metadata a search returns, kept in step with one PhotoStore.

    One lock guards the arrays: searches and in-memory updates are short (milliseconds);
    the slow k-means runs outside it on a snapshot and is swapped in at the end.
    """

    def __init__(self, dimension: int, metadata_schema: pa.Schema, dtype: torch.dtype | None = None):
        self.dimension = dimension
        self.dtype = dtype or fastest_search_dtype(dimension)
        self._lock = threading.Lock()
        self._vectors = torch.empty((0, dimension), dtype=self.dtype)  # capacity, grows
        self._alive = torch.zeros(0, dtype=torch.bool)
        self._count = 0
        self._dead = 0
        self._metadata = metadata_schema.empty_table()
        self._taken_us = np.zeros(0, dtype=np.int64)  # capture time; nulls never pass a date filter
        self._has_date = np.zeros(0, dtype=bool)
        self._partitions: Partitions | None = None
        self._changed_since_partitioning = 0
        self._partitioning: threading.Thread | None = None
        self._mask_cache: tuple[tuple, torch.Tensor] | None = None
        self._folders_cache: tuple[int, list[str]] | None = None
        self._generation = 0
        self._layout = 0  # bumped whenever rows move, which voids a partitioning in progress

    @classmethod
    def from_snapshot(cls, snapshot, metadata_schema: pa.Schema,
                      dtype: torch.dtype | None = None) -> "VectorIndex":
        """An index over a saved snapshot (``vector_snapshot``), its vectors mapped from the
        file copy-on-write: ready at once, paged in by the first searches."""
        if dtype is None:  # as measured when it was saved: the probe costs ~0.3 s
            dtype = torch.float16 if snapshot.saved_dtype == "float16" else torch.float32
        index = cls(snapshot.vectors_f32.shape[1], metadata_schema, dtype)
        mapped = snapshot.vectors("float16" if index.dtype == torch.float16 else "float32")
        index._vectors = torch.from_numpy(mapped)
        if mapped.nbytes <= PAGE_IN_SHARE * _available_memory():
            threading.Thread(target=_page_in, args=(mapped,), name="pf-page-in",
                             daemon=True).start()
        index._count = len(mapped)
        index._alive = torch.ones(index._count, dtype=torch.bool)
        index._metadata = snapshot.metadata.cast(metadata_schema)
        index._taken_us, index._has_date = dates(index._metadata.column("taken_at"))
        if snapshot.centroids is not None:
            index._partitions = Partitions(torch.from_numpy(np.array(snapshot.centroids)),
                                           np.array(snapshot.starts), snapshot.covered)
        return index

    def snapshot_parts(self) -> tuple[np.ndarray, pa.Table, tuple | None]:
        """The live rows' vectors (a copy), metadata, and partitions as (centroids, starts,
        covered) with the removed rows left out: what ``vector_snapshot.save`` writes."""
        with self._lock:
            n = self._count
            alive = self._alive[:n].numpy()
            keep = np.flatnonzero(alive)
            vectors = self._vectors[:n][torch.from_numpy(keep)].numpy()
            metadata = self._metadata.take(pa.array(keep))
            partitions = None
            if self._partitions is not None:
                kept_before = np.concatenate([[0], np.cumsum(alive)])  # live rows below i
                parts = self._partitions
                partitions = (parts.centroids.numpy().copy(), kept_before[parts.starts],
                              int(kept_before[parts.covered]))
        return vectors, metadata, partitions

    # --- keeping in step with the table ----------------------------------------------

    def append(self, rows: pa.Table, partition: bool = True) -> None:
        """Add rows (metadata columns plus ``vector``); rows of the same paths must have been
        removed first (``remove_paths``), as the store's upsert does. A bulk load passes
        ``partition=False`` and partitions once at the end: partitioning at 500k rows and
        again at 1M would waste tens of seconds of CPU at launch."""
        if rows.num_rows == 0:
            return
        vectors = _vectors_of(rows, self.dtype)
        taken_us, has_date = dates(rows.column("taken_at"))
        # A copy: slices of the reader's buffers would keep its whole batch alive, vectors
        # included (540 MB at 100k rows).
        metadata = (rows.select(self._metadata.column_names).cast(self._metadata.schema)
                    .take(pa.array(np.arange(rows.num_rows))))
        with self._lock:
            start, end = self._count, self._count + rows.num_rows
            self._reserve(end)
            self._vectors[start:end] = vectors
            self._alive[start:end] = True
            self._metadata = pa.concat_tables([self._metadata, metadata])
            if self._metadata.column(0).num_chunks > 64:
                self._metadata = self._metadata.combine_chunks()
            self._taken_us = np.concatenate([self._taken_us, taken_us])
            self._has_date = np.concatenate([self._has_date, has_date])
            self._count = end
            self._changed(rows.num_rows)
        if partition:
            self.partition_in_background_if_due()

    def _remove(self, matching) -> None:
        with self._lock:
            hit = torch.from_numpy(to_bools(matching(self._metadata.column("path"))))
            hit &= self._alive[:self._count]
            removed = int(hit.sum())
            if not removed:
                return
            self._alive[:self._count] &= ~hit
            self._dead += removed
            self._changed(removed)
            if self._partitions is None and self._dead > 0.2 * self._count:
                self._compact()
        self.partition_in_background_if_due()

    # --- searching -----------------------------------------------------------------

    def __len__(self) -> int:
        return self._count - self._dead

    @property
    def partitioned(self) -> bool:
        return self._partitions is not None

    def search(self, query: np.ndarray, k: int, search_filter: SearchFilter | None = None,
               gates: tuple[Gate, ...] = ()) -> tuple[pa.Table, list[float]]:
        """Metadata rows of the k vectors with the largest dot product, and those products;
        only rows passing the filter and every gate count."""
        q = torch.from_numpy(np.ascontiguousarray(query, dtype=np.float32))
        with self._lock:
            n = self._count
            allowed = self._alive[:n]
            if search_filter is not None:
                allowed = allowed & self._filter_mask(search_filter)
            positions, scores = None, None
            if self._partitions is not None:
                positions, scores = self._probe(q, allowed, k, self._partitions)
            if positions is None:  # exact: small table, or a filter too narrow for probing
                scores = torch.mv(self._vectors[:n], q.to(self.dtype)).float()
                scores.masked_fill_(~allowed, -math.inf)
            if gates:
                rows = self._vectors[:n] if positions is None else self._vectors[positions]
                scores.masked_fill_(~_passing(rows, gates, self.dtype), -math.inf)
            best = torch.topk(scores, min(k, scores.numel()))
            keep = best.values > -math.inf
            chosen = best.indices[keep]
            if positions is not None:
                chosen = positions[chosen]
            rows = self._metadata.take(pa.array(chosen.numpy()))
        return rows, best.values[keep].tolist()

    def folders(self) -> list[str]:
        """The distinct folders of the rows (rows removed lately may still count)."""
        with self._lock:
            if self._folders_cache is None or self._folders_cache[0] != self._generation:
                folders = pc.unique(self._metadata.column("folder")).drop_null().to_pylist()
                self._folders_cache = (self._generation, folders)
            return self._folders_cache[1]

    def paths(self) -> list[str]:
        """The paths of the live rows."""
        with self._lock:
            alive = pa.array(self._alive[:self._count].numpy())
            return self._metadata.column("path").filter(alive).to_pylist()

    def sample(self, count: int, seed: int = 0) -> np.ndarray:
        """Up to ``count`` vectors of random live rows (float32), to calibrate scores on."""
        with self._lock:
            live = torch.nonzero(self._alive[:self._count]).flatten()
            generator = torch.Generator().manual_seed(seed)
            picked = live[torch.randperm(len(live), generator=generator)[:count]]
            return self._vectors[picked].float().numpy()

    def _probe(self, q: torch.Tensor, allowed: torch.Tensor, k: int, parts: Partitions):
        """Scores of the rows in the partitions nearest to ``q`` (and of rows added since),
        or (None, None) when too few of them pass the filter."""
        ranges = probed_ranges((parts.centroids @ q).numpy(), parts.starts, parts.covered,
                               self._count, PROBE_SHARE)
        q = q.to(self.dtype)
        positions = torch.cat([torch.arange(a, b) for a, b in ranges])
        scores = torch.cat([torch.mv(self._vectors[a:b], q) for a, b in ranges]).float()
        passing = allowed[positions]
        if int(passing.sum()) < k and int(allowed.sum()) > int(passing.sum()):
            return None, None
        scores.masked_fill_(~passing, -math.inf)
        return positions, scores

    def _filter_mask(self, search_filter: SearchFilter) -> torch.Tensor:
        """Rows passing the filter; the last mask is reused while typing refines the text."""
        key = (search_filter, self._generation)
        if self._mask_cache is not None and self._mask_cache[0] == key:
            return self._mask_cache[1]
        mask = filter_mask(self._metadata, self._taken_us, self._has_date, search_filter)
        tensor = torch.from_numpy(mask)
        self._mask_cache = (key, tensor)
        return tensor

    # --- partitions ------------------------------------------------------------------

    def partition_in_background_if_due(self) -> None:
        with self._lock:
            live = self._count - self._dead
            due = live >= PARTITION_MIN_ROWS and (
                self._partitions is None or self._changed_since_partitioning > REBUILD_SHARE * live)
            running = self._partitioning not in (None, threading.current_thread()) \
                and self._partitioning.is_alive()
            if not due or running:
                return
            self._partitioning = threading.Thread(target=self.partition, name="pf-partition",
                                                  daemon=True)
            self._partitioning.start()

    def wait_for_partitioning(self) -> None:
        """Until a partitioning started in the background has finished."""
        thread = self._partitioning
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def partition(self) -> None:
        """Sort the rows into k-means partitions (seconds at 1M rows); searches go on
        exactly, and writes go on, meanwhile."""
        started = time.perf_counter()
        with self._lock:
            n = self._count
            snapshot = self._vectors[:n]  # rows below n are never rewritten, only marked dead
            layout = self._layout
            changes_before = self._changed_since_partitioning
        centroids = _kmeans(snapshot, max(1, n // ROWS_PER_PARTITION))
        assignment = _nearest(snapshot, centroids)
        order = torch.from_numpy(np.argsort(assignment, kind="stable"))
        with self._lock:
            if layout != self._layout:
                return  # compacted meanwhile; the next write starts over
            order = order[self._alive[order]]  # rows removed meanwhile are dropped here
            counts = np.bincount(assignment[order.numpy()], minlength=len(centroids))
            tail = torch.arange(n, self._count)
            tail = tail[self._alive[tail]]
            self._reorder(torch.cat([order, tail]))
            self._partitions = Partitions(centroids, np.concatenate([[0], np.cumsum(counts)]),
                                          covered=len(order))
            self._changed_since_partitioning -= changes_before
        log.info("partitioned %d vectors into %d in %.1f s", n, len(centroids),
                 time.perf_counter() - started)
        self.partition_in_background_if_due()  # many rows may have come in meanwhile

    def _compact(self) -> None:
        self._reorder(torch.nonzero(self._alive[:self._count]).flatten())

    def _reorder(self, rows: torch.Tensor) -> None:
        """Keep only ``rows``, in this order (caller holds the lock)."""
        vectors = torch.empty((max(len(rows), 1024), self.dimension), dtype=self.dtype)
        vectors[:len(rows)] = self._vectors.index_select(0, rows)
        self._vectors = vectors
        self._alive = torch.zeros(len(vectors), dtype=torch.bool)
        self._alive[:len(rows)] = True
        taken = pa.array(rows.numpy())
        self._metadata = self._metadata.take(taken).combine_chunks()
        self._taken_us = self._taken_us[rows.numpy()]
        self._has_date = self._has_date[rows.numpy()]
        self._count, self._dead = len(rows), 0
        self._generation += 1
        self._layout += 1

    # --- helpers -----------------------------------------------------------------

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._vectors):
            return
        capacity = max(rows, int(len(self._vectors) * 1.5), 1024)
        vectors = torch.empty((capacity, self.dimension), dtype=self.dtype)
        vectors[:self._count] = self._vectors[:self._count]
        alive = torch.zeros(capacity, dtype=torch.bool)
        alive[:self._count] = self._alive[:self._count]
        self._vectors, self._alive = vectors, alive

    def _changed(self, rows: int) -> None:
        self._generation += 1
        self._changed_since_partitioning += rows


def _vectors_of(rows: pa.Table, dtype: torch.dtype) -> torch.Tensor:
    """The vector column as a tensor of ``dtype``, converted in one copy (Arrow's buffer
    is read-only, and torch wants its own)."""
    column = rows.column("vector").combine_chunks()
    numpy_dtype = np.float16 if dtype == torch.float16 else np.float32
    flat = column.values.to_numpy(zero_copy_only=False).astype(numpy_dtype, copy=True)
    return torch.from_numpy(flat.reshape(len(column), -1)).to(dtype)


def _page_in(mapped: np.ndarray, rows: int = 65_536) -> None:
    """Touch every page of a mapped array once, in the background: the first searches
    would otherwise fault them in one at a time (seconds at a million rows)."""
    if not len(mapped):
        return
    step = max(1, 4096 // mapped[0].nbytes)
    for start in range(0, len(mapped), rows):
        mapped[start:start + rows:step, 0].max()


def _available_memory() -> int:
    """Bytes the system could give this process now (Linux: MemAvailable); elsewhere
    unknown, taken as unlimited."""
    try:
        with open("/proc/meminfo") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh
                        if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return 2**62


def _passing(rows: torch.Tensor, gates: tuple[Gate, ...], dtype: torch.dtype) -> torch.Tensor:
    scores = (rows @ torch.from_numpy(gate_matrix(gates)).to(dtype)).float().numpy()
    return torch.from_numpy(gates_passed(scores, gates))


def _kmeans(vectors: torch.Tensor, partitions: int) -> torch.Tensor:
    """Spherical k-means on a sample of the rows."""
    generator = torch.Generator().manual_seed(0)
    sample_size = min(len(vectors), partitions * KMEANS_SAMPLE_PER_PARTITION)
    sample = vectors[torch.randperm(len(vectors), generator=generator)[:sample_size]].float()
    centroids = sample[torch.randperm(len(sample), generator=generator)[:partitions]].clone()
    for _ in range(KMEANS_ITERATIONS):
        nearest = torch.from_numpy(_nearest(sample, centroids)).long()
        sums = torch.zeros_like(centroids).index_add_(0, nearest, sample)
        empty = sums.norm(dim=1) == 0
        sums[empty] = centroids[empty]  # an empty partition keeps its place
        centroids = torch.nn.functional.normalize(sums, dim=1)
    return centroids


def _nearest(vectors: torch.Tensor, centroids: torch.Tensor, chunk: int = 65_536) -> np.ndarray:
    """The nearest centroid of each row. Products in bfloat16 where the CPU has it (2x
    float32 here); never in float16, which has no fast CPU matrix product (90x slower)."""
    dtype = torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    c = centroids.to(dtype).T.contiguous()
    out = np.empty(len(vectors), dtype=np.int64)
    for start in range(0, len(vectors), chunk):
        block = vectors[start:start + chunk].to(dtype)
        out[start:start + chunk] = torch.argmax(block @ c, dim=1).numpy()
    return out

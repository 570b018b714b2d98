"""The in-memory search index of a torch-free install: every vector in a float32 numpy
matrix, each search an exact scan.

``vector_index.VectorIndex`` (torch: half precision, k-means partitions past 500,000
photos) is what an install with torch uses; without torch this keeps the same
interface with numpy alone. A scan costs about 7 ms per 100,000 photos
(``vector_snapshot`` measures the same scan), so it serves a torch-free install up to a
few hundred thousand photos; beyond, the torch install's partitions are the answer.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from photofinder.records import Gate, SearchFilter
from photofinder.row_filters import (
    RemovalByPath, dates, filter_mask, gate_matrix, gates_passed, to_bools,
)


class ExactIndex(RemovalByPath):
    """Vectors plus the metadata a search returns, kept in step with one PhotoStore."""

    partitioned = False

    def __init__(self, dimension: int, metadata_schema: pa.Schema):
        self.dimension = dimension
        self._lock = threading.Lock()
        self._vectors = np.zeros((0, dimension), np.float32)
        self._alive = np.zeros(0, dtype=bool)
        self._metadata = metadata_schema.empty_table()
        self._taken_us = np.zeros(0, dtype=np.int64)
        self._has_date = np.zeros(0, dtype=bool)

    @classmethod
    def from_snapshot(cls, snapshot, metadata_schema: pa.Schema) -> "ExactIndex":
        """An index over a saved snapshot (``vector_snapshot``), its vectors mapped."""
        index = cls(snapshot.vectors_f32.shape[1], metadata_schema)
        index._vectors = snapshot.vectors_f32
        index._alive = np.ones(len(index._vectors), dtype=bool)
        index._metadata = snapshot.metadata.cast(metadata_schema)
        index._taken_us, index._has_date = dates(index._metadata.column("taken_at"))
        return index

    def snapshot_parts(self) -> tuple[np.ndarray, pa.Table, None]:
        """The live rows' vectors and metadata, for ``vector_snapshot.save``."""
        with self._lock:
            keep = np.flatnonzero(self._alive)
            return self._vectors[keep], self._metadata.take(pa.array(keep)), None

    def append(self, rows: pa.Table, partition: bool = True) -> None:
        """Add rows (metadata columns plus ``vector``); rows of the same paths must have been
        removed first, as the store's upsert does."""
        if rows.num_rows == 0:
            return
        column = rows.column("vector").combine_chunks()
        vectors = column.values.to_numpy(zero_copy_only=False).astype(np.float32)
        taken_us, has_date = dates(rows.column("taken_at"))
        metadata = (rows.select(self._metadata.column_names).cast(self._metadata.schema)
                    .take(pa.array(np.arange(rows.num_rows))))
        with self._lock:
            self._vectors = np.concatenate([self._vectors, vectors.reshape(rows.num_rows, -1)])
            self._alive = np.concatenate([self._alive, np.ones(rows.num_rows, dtype=bool)])
            self._metadata = pa.concat_tables([self._metadata, metadata]).combine_chunks()
            self._taken_us = np.concatenate([self._taken_us, taken_us])
            self._has_date = np.concatenate([self._has_date, has_date])

    def _remove(self, matching) -> None:
        with self._lock:
            self._alive = self._alive & ~to_bools(matching(self._metadata.column("path")))
            if self._alive.sum() < 0.8 * len(self._alive):  # drop the removed rows
                keep = np.flatnonzero(self._alive)
                self._vectors, self._alive = self._vectors[keep], self._alive[keep]
                self._metadata = self._metadata.take(pa.array(keep))
                self._taken_us, self._has_date = self._taken_us[keep], self._has_date[keep]

    def __len__(self) -> int:
        return int(self._alive.sum())

    def search(self, query: np.ndarray, k: int, search_filter: SearchFilter | None = None,
               gates: tuple[Gate, ...] = ()) -> tuple[pa.Table, list[float]]:
        """Metadata rows of the k vectors with the largest dot product, and those products;
        only rows passing the filter and every gate count."""
        with self._lock:
            allowed = self._alive.copy()
            if search_filter is not None:
                allowed &= filter_mask(self._metadata, self._taken_us, self._has_date, search_filter)
            if gates:
                allowed &= gates_passed(self._vectors @ gate_matrix(gates), gates)
            scores = self._vectors @ np.asarray(query, dtype=np.float32)
            scores[~allowed] = -np.inf
            k = min(k, len(scores))
            best = np.argpartition(-scores, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
            best = best[np.argsort(-scores[best], kind="stable")]
            best = best[scores[best] > -np.inf]
            return self._metadata.take(pa.array(best)), scores[best].tolist()

    def folders(self) -> list[str]:
        """The distinct folders of the rows (rows removed lately may still count)."""
        with self._lock:
            return pc.unique(self._metadata.column("folder")).drop_null().to_pylist()

    def paths(self) -> list[str]:
        with self._lock:
            return self._metadata.column("path").filter(pa.array(self._alive)).to_pylist()

    def sample(self, count: int, seed: int = 0) -> np.ndarray:
        """Up to ``count`` vectors of random live rows, to calibrate scores on."""
        with self._lock:
            live = np.flatnonzero(self._alive)
            picked = np.random.default_rng(seed).permutation(live)[:count]
            return np.array(self._vectors[np.sort(picked)])

    def partition_in_background_if_due(self) -> None:
        """Nothing to do: an exact index has no partitions."""

    def wait_for_partitioning(self) -> None:
        """Nothing to wait for."""

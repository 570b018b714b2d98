"""The in-memory search index saved beside the table, and mapped straight back.

Reading a million vectors out of LanceDB and sorting them into partitions took
8 s at every launch, and a one-off ``photofinder search`` paid 3 s for importing
torch and lancedb before it could compare a single vector. So the store saves
what the index holds (vectors in row order, partitions included, the metadata
a hit shows) into ``snapshots/<table>/`` as plain files, and later processes map
them into memory: the window's index is ready at once, and a command-line search
scans the float32 copy with numpy, importing neither torch nor lancedb.

A snapshot is only used for the exact table version it was saved from: LanceDB
commits every write as a new version, so any write since makes it stale, and a
stale one is never read (it is saved again after the next full load). The
version is read from the table's manifest names, which needs no lancedb.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pyarrow as pa

from photofinder.partition_probe import probed_ranges

log = logging.getLogger("photofinder.store")

FORMAT = 2  # 2: the photos' folders in the state file
SNAPSHOTS_DIR = "snapshots"  # in the index folder, one subfolder per table
STATE_FILE = "state.json"  # written last: a folder without it is incomplete
VECTORS_F32 = "vectors-f32.npy"  # what numpy searches (it has no fast float16)
VECTORS_F16 = "vectors-f16.npy"  # what a float16 in-memory index maps, when it is one
METADATA_FILE = "metadata.arrow"
PARTITIONS_FILE = "partitions.npz"
_V2_MANIFEST_BASE = 2**64 - 1  # lance names manifests u64::MAX - version (newest sorts first)


def snapshot_folder(index_dir: Path, table_name: str) -> Path:
    return index_dir / SNAPSHOTS_DIR / table_name


def table_version(index_dir: Path, table_name: str) -> int | None:
    """The newest committed version of a LanceDB table, from its manifest file names."""
    try:
        names = os.listdir(index_dir / f"{table_name}.lance" / "_versions")
    except OSError:
        return None
    versions = []
    for name in names:
        stem, _, suffix = name.partition(".")
        if suffix == "manifest" and stem.isdigit():
            number = int(stem)
            versions.append(_V2_MANIFEST_BASE - number if number > 2**63 else number)
    return max(versions, default=None)


@dataclass(frozen=True)
class Snapshot:
    """A saved index, mapped: read-only arrays and an Arrow table backed by the files."""

    folder: Path
    version: int
    vectors_f32: np.ndarray  # (rows, dimension), memory-mapped
    metadata: pa.Table
    centroids: np.ndarray | None  # (partitions, dimension) float32
    starts: np.ndarray | None  # (partitions + 1,) int64
    covered: int
    folders: tuple[str, ...]  # of the photos, for searches scoped by folder

    @property
    def saved_dtype(self) -> str:
        """The dtype of the index it was saved from (chosen for this CPU then)."""
        return "float16" if (self.folder / VECTORS_F16).exists() else "float32"

    def vectors(self, dtype: str) -> np.ndarray:
        """The rows as float32 or float16, mapped copy-on-write (writable, private)."""
        name = VECTORS_F16 if dtype == "float16" else VECTORS_F32
        path = self.folder / name
        if dtype == "float16" and not path.exists():
            return self.vectors_f32.astype(np.float16)
        return np.load(path, mmap_mode="c")


def save(folder: Path, version: int, vectors: np.ndarray, metadata: pa.Table,
         partitions: tuple[np.ndarray, np.ndarray, int] | None) -> None:
    """Write a snapshot of ``version`` into a fresh folder and swap it in."""
    staging = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        np.save(staging / VECTORS_F32, np.ascontiguousarray(vectors, dtype=np.float32))
        if vectors.dtype == np.float16:
            np.save(staging / VECTORS_F16, vectors)
        with pa.OSFile(str(staging / METADATA_FILE), "wb") as sink, \
                pa.ipc.new_file(sink, metadata.schema) as writer:
            writer.write_table(metadata.combine_chunks())
        if partitions is not None:
            centroids, starts, covered = partitions
            np.savez(staging / PARTITIONS_FILE, centroids=centroids, starts=starts,
                     covered=np.int64(covered))
        for name in os.listdir(staging):
            with open(staging / name, "rb+") as fh:
                os.fsync(fh.fileno())
        state = {"format": FORMAT, "version": version, "rows": len(vectors),
                 "dimension": int(vectors.shape[1]), "folders": _folders_of(metadata)}
        (staging / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")
        old = folder.with_name(f"{folder.name}.{os.getpid()}.old")
        if folder.exists():
            os.replace(folder, old)
        os.replace(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def open_snapshot(folder: Path, version: int | None, dimension: int,
                  columns: Sequence[str]) -> Snapshot | None:
    """The snapshot in ``folder`` if it was saved from ``version`` with these metadata
    ``columns``; None if it is missing, stale or damaged (then the table is read instead)."""
    if version is None:
        return None
    try:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        if (state.get("format"), state.get("version"), state.get("dimension")) != (
                FORMAT, version, dimension):
            return None
        vectors = np.load(folder / VECTORS_F32, mmap_mode="r")
        metadata = pa.ipc.open_file(pa.memory_map(str(folder / METADATA_FILE))).read_all()
        if vectors.shape != (state["rows"], dimension) or metadata.num_rows != state["rows"] \
                or metadata.schema.names != list(columns):
            return None
        centroids = starts = None
        covered = 0
        if (folder / PARTITIONS_FILE).exists():
            with np.load(folder / PARTITIONS_FILE) as parts:
                centroids, starts = parts["centroids"], parts["starts"]
                covered = int(parts["covered"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as exc:
        log.warning("ignoring the damaged index snapshot in %s: %s", folder, exc)
        return None
    return Snapshot(folder, version, vectors, metadata, centroids, starts, covered,
                    tuple(state["folders"]))


def _folders_of(metadata: pa.Table) -> list[str]:
    """Saved with the snapshot: pyarrow.compute, which finds them, costs a search 0.1 s to import."""
    import pyarrow.compute as pc

    return pc.unique(metadata.column("folder")).drop_null().to_pylist()


class SnapshotSearch:
    """The read side of a PhotoStore and its in-memory index, over a snapshot: what a
    one-off command-line search needs, with numpy alone (an exact scan, ~7 ms at 100,000
    photos; past that the index's own partitions), filters and +/- parts' gates
    included. Filtered searches of a partitioned index go to the real store,
    ``open_store()``, whose probe decides what a filter leaves."""

    def __init__(self, snapshot: Snapshot, model_id: str, open_store: Callable[[], object]):
        self.snapshot = snapshot
        self.model_id = model_id
        self.dimension = snapshot.vectors_f32.shape[1]
        self._open_store = open_store
        self._dates: tuple[np.ndarray, np.ndarray] | None = None  # taken_at, for date filters

    def vectors_in_memory(self) -> "SnapshotSearch":
        return self  # the mapped snapshot is the index

    def __len__(self) -> int:
        return len(self.snapshot.vectors_f32)

    def folders(self) -> list[str]:
        return list(self.snapshot.folders)

    def sample(self, count: int, seed: int = 0) -> np.ndarray:
        """Up to ``count`` vectors of random rows, to calibrate scores on."""
        picked = np.random.default_rng(seed).permutation(len(self))[:count]
        return np.array(self.snapshot.vectors_f32[np.sort(picked)])

    def search(self, vector: np.ndarray, k: int, search_filter=None, gates: tuple = ()):
        from photofinder.records import SearchHit
        from photofinder.store import photos_from_arrow

        if search_filter is not None and self.snapshot.centroids is not None:
            return self._open_store().search(vector, k, search_filter, gates)  # its probe decides
        vectors = self.snapshot.vectors_f32
        if not len(vectors) or k <= 0:
            return []
        positions, scores = self._scores(np.asarray(vector, dtype=np.float32), k)
        if search_filter is not None or gates:
            scores[~self._allowed(search_filter, gates, positions)] = -np.inf
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        best = best[scores[best] > -np.inf]
        if not len(best):
            return []
        chosen = best if positions is None else positions[best]
        # a row at a time: Table.take would import pyarrow.compute, a tenth of a second
        rows = pa.concat_tables([self.snapshot.metadata.slice(int(row), 1) for row in chosen])
        return [SearchHit(photo, float(score))
                for photo, score in zip(photos_from_arrow(rows), scores[best])]

    def _allowed(self, search_filter, gates: tuple, positions: np.ndarray | None) -> np.ndarray:
        """Which of the scored rows pass the filter and the gates, as the in-memory index
        decides it (these alone import pyarrow.compute)."""
        from photofinder.row_filters import dates, filter_mask, gate_matrix, gates_passed

        vectors = self.snapshot.vectors_f32
        rows = vectors if positions is None else vectors[positions]
        allowed = np.ones(len(rows), dtype=bool)
        if search_filter is not None:  # (never with partitions: see search)
            if self._dates is None:
                self._dates = dates(self.snapshot.metadata.column("taken_at"))
            allowed &= filter_mask(self.snapshot.metadata, *self._dates, search_filter)
        if gates:
            allowed &= gates_passed(rows @ gate_matrix(gates), gates)
        return allowed

    def _scores(self, query: np.ndarray, k: int) -> tuple[np.ndarray | None, np.ndarray]:
        """Scores of the rows in the partitions nearest to ``query`` (and their row
        numbers), as the in-memory index probes them; of every row (None) when the
        snapshot has no partitions or they hold fewer than ``k`` rows. At a million
        rows a probe reads 8% of the vectors: an exact scan took ~200 ms."""
        snapshot, vectors = self.snapshot, self.snapshot.vectors_f32
        if snapshot.centroids is not None:
            ranges = probed_ranges(snapshot.centroids @ query, snapshot.starts,
                                   snapshot.covered, len(vectors))
            positions = np.concatenate([np.arange(a, b) for a, b in ranges])
            if len(positions) >= k:
                return positions, np.concatenate([vectors[a:b] @ query for a, b in ranges])
        return None, vectors @ query

    def vector_of(self, path: str) -> np.ndarray | None:
        import pyarrow.compute as pc

        row = pc.index(self.snapshot.metadata.column("path"), path).as_py()
        return None if row < 0 else np.array(self.snapshot.vectors_f32[row])


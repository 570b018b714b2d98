"""The in-memory search index: exact below the partition threshold, IVF above it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
import torch

import photofinder.vector_index as vector_index
from photofinder.records import SearchFilter
from photofinder.store import METADATA_FIELDS, photo_schema
from photofinder.vector_index import VectorIndex

DIM = 32


def rows(start: int, vectors: np.ndarray, folders: int = 4) -> pa.Table:
    count = len(vectors)
    base = datetime(2020, 1, 1)
    return pa.table({
        "path": [f"/lib/f{i % folders}/{i}.jpg" for i in range(start, start + count)],
        "folder": [f"/lib/f{i % folders}" for i in range(start, start + count)],
        "size": pa.array([1] * count, pa.int64()),
        "mtime_ns": pa.array([1] * count, pa.int64()),
        "fingerprint": [str(i) for i in range(start, start + count)],
        "width": pa.array([1] * count, pa.int32()),
        "height": pa.array([1] * count, pa.int32()),
        "taken_at": pa.array([None if i % 10 == 9 else base + timedelta(days=i)
                              for i in range(start, start + count)], pa.timestamp("us")),
        "model_id": ["m"] * count,
        "camera": [None] * count, "latitude": [None] * count, "longitude": [None] * count,
        "vector": pa.FixedSizeListArray.from_arrays(
            pa.array(vectors.astype(np.float32).reshape(-1)), DIM),
    }, schema=pa.schema([*METADATA_FIELDS, photo_schema(DIM).field("vector")]))


def clustered(count: int, seed: int = 0, clusters: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, DIM))
    x = centres[rng.integers(0, clusters, count)] + 0.5 * rng.normal(size=(count, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def new_index(dtype=torch.float32) -> VectorIndex:
    return VectorIndex(DIM, pa.schema(METADATA_FIELDS), dtype=dtype)


def numbers(table: pa.Table) -> list[int]:
    return [int(p.rsplit("/", 1)[1][:-4]) for p in table.column("path").to_pylist()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_exact_search_matches_a_plain_matrix_product(dtype):
    vectors = clustered(3000)
    index = new_index(dtype)
    index.append(rows(0, vectors[:1000]))
    index.append(rows(1000, vectors[1000:]))
    query = clustered(1, seed=7)[0]
    found, scores = index.search(query, 20)
    truth = np.argsort(-(vectors @ query))[:20]
    assert len(set(numbers(found)) & set(truth.tolist())) >= (20 if dtype == torch.float32 else 19)
    assert scores == sorted(scores, reverse=True)
    assert abs(scores[0] - float(vectors[truth[0]] @ query)) < 2e-3


def test_removed_rows_are_never_returned_and_compaction_keeps_the_rest():
    vectors = clustered(1000)
    index = new_index()
    index.append(rows(0, vectors))
    query = vectors[5]
    index.remove_paths(["/lib/f1/5.jpg"])
    assert 5 not in numbers(index.search(query, 50)[0])
    index.remove_below("/lib/f2")  # 25% of the rows: compacts
    found = numbers(index.search(query, 1000)[0])
    assert len(index) == len(found) == 749
    assert all(n % 4 != 2 for n in found)


def test_filters_match_folders_not_name_prefixes_and_skip_undated_photos():
    vectors = clustered(400)
    index = new_index()
    index.append(rows(0, vectors, folders=12))
    found = numbers(index.search(vectors[0], 400, SearchFilter(folders=("/lib/f1",)))[0])
    assert found and all(n % 12 == 1 for n in found)  # not f10, f11
    after = datetime(2020, 1, 1) + timedelta(days=200)
    found = numbers(index.search(vectors[0], 400, SearchFilter(taken_after=after))[0])
    assert sorted(found) == [n for n in range(200, 400) if n % 10 != 9]
    found = numbers(index.search(vectors[0], 400, SearchFilter(taken_before=after))[0])
    assert sorted(found) == [n for n in range(0, 200) if n % 10 != 9]


@pytest.fixture
def small_partitions(monkeypatch):
    monkeypatch.setattr(vector_index, "PARTITION_MIN_ROWS", 2000)
    monkeypatch.setattr(vector_index, "ROWS_PER_PARTITION", 50)
    monkeypatch.setattr(vector_index, "PROBE_SHARE", 0.15)


def test_partitions_build_in_the_background_and_keep_recall(small_partitions):
    vectors = clustered(6000)
    index = new_index()
    index.append(rows(0, vectors[:1500]))
    assert not index.partitioned
    index.append(rows(1500, vectors[1500:5000]))
    deadline = time.monotonic() + 30
    while not index.partitioned and time.monotonic() < deadline:
        time.sleep(0.05)
    assert index.partitioned
    index.append(rows(5000, vectors[5000:]))  # after partitioning: scanned exactly
    queries = clustered(20, seed=3)
    recalls = []
    for q in queries:
        truth = set(np.argsort(-(vectors @ q))[:50].tolist())
        recalls.append(len(truth & set(numbers(index.search(q, 50)[0]))) / 50)
    assert np.mean(recalls) >= 0.9
    assert numbers(index.search(vectors[5500], 1)[0]) == [5500]


def test_partitioned_index_handles_removals_and_narrow_filters(small_partitions):
    vectors = clustered(4000)
    index = new_index()
    index.append(rows(0, vectors, folders=400))
    index.partition()
    index.remove_paths(["/lib/f10/10.jpg"])
    assert 10 not in numbers(index.search(vectors[10], 50)[0])
    # One folder holds 10 rows, spread over many partitions: a probe alone finds too few.
    found = numbers(index.search(vectors[0], 10, SearchFilter(folders=("/lib/f7",)))[0])
    assert sorted(found) == list(range(7, 4000, 400))


def test_a_bulk_load_partitions_once_at_the_end(small_partitions, monkeypatch):
    runs = []
    partition = VectorIndex.partition
    monkeypatch.setattr(VectorIndex, "partition", lambda self: (runs.append(self._count), partition(self)))
    vectors = clustered(6000)
    index = new_index()
    for start in range(0, 6000, 1000):  # past the threshold at 2000, 4000 and 6000 rows
        index.append(rows(start, vectors[start:start + 1000]), partition=False)
    assert runs == [] and not index.partitioned
    index.partition_in_background_if_due()
    deadline = time.monotonic() + 30
    while not index.partitioned and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs == [6000] and index.partitioned

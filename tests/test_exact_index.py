"""The torch-free install's search index answers as the torch one does below its
partition threshold: the same rows, in the same order, under every filter and gate."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest
import torch

from photofinder.exact_index import ExactIndex
from photofinder.records import Gate, SearchFilter
from photofinder.store import METADATA_FIELDS
from photofinder.vector_index import VectorIndex
from test_vector_index import DIM, clustered, numbers, rows

FILTERS = [
    None,
    SearchFilter(folders=("/lib/f1", "/lib/f3")),
    SearchFilter(taken_after=datetime(2020, 3, 1), taken_before=datetime(2020, 9, 1)),
    SearchFilter(paths=frozenset(f"/lib/f{i % 4}/{i}.jpg" for i in range(0, 900, 7))),
    SearchFilter(types=("jpg",)),
]


def both() -> tuple[ExactIndex, VectorIndex]:
    vectors = clustered(900, seed=3)
    indexes = (ExactIndex(DIM, pa.schema(METADATA_FIELDS)),
               VectorIndex(DIM, pa.schema(METADATA_FIELDS), dtype=torch.float32))
    for index in indexes:
        index.append(rows(0, vectors[:500]))
        index.append(rows(500, vectors[500:]))
        index.remove_paths(["/lib/f1/1.jpg", "/lib/f2/2.jpg"])
        index.remove_below("/lib/f0")
    return indexes


@pytest.mark.parametrize("search_filter", FILTERS)
def test_it_finds_what_the_torch_index_finds(search_filter):
    exact, reference = both()
    query = clustered(1, seed=9)[0]
    gates = (Gate(clustered(1, seed=4)[0], 0.0, above=False),)
    for gated in ((), gates):
        found, scores = exact.search(query, 25, search_filter, gated)
        expected, expected_scores = reference.search(query, 25, search_filter, gated)
        assert numbers(found) == numbers(expected) and len(found) > 0
        assert scores == pytest.approx(expected_scores, abs=1e-5)
    assert len(exact) == len(reference)
    assert sorted(exact.paths()) == sorted(reference.paths())
    assert sorted(exact.folders()) == sorted(reference.folders())


def test_its_snapshot_parts_hold_the_live_rows_only():
    exact, _ = both()
    vectors, metadata, partitions = exact.snapshot_parts()
    assert partitions is None and len(vectors) == metadata.num_rows == len(exact)
    assert not any(p.startswith("/lib/f0/") for p in metadata.column("path").to_pylist())
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert exact.sample(10).shape == (10, DIM)

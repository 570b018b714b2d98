"""The in-memory index saved and mapped back: same answers, partitions included; a
stale or damaged snapshot is never searched; a new process searches without torch or
lancedb."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest
import torch
from test_vector_index import DIM, clustered, new_index, numbers, rows

from photofinder.library import Library
from photofinder.records import Gate, SearchFilter
from photofinder.store import METADATA_COLUMNS, METADATA_FIELDS
from photofinder.vector_index import VectorIndex
from photofinder.vector_snapshot import STATE_FILE, VECTORS_F32, SnapshotSearch, open_snapshot, save
from photofinder_testing.tinymodel.shapes import write_photos


def saved_and_mapped(index: VectorIndex, folder, version: int = 7) -> VectorIndex:
    save(folder, version, *index.snapshot_parts())
    snapshot = open_snapshot(folder, version, DIM, METADATA_COLUMNS)
    return VectorIndex.from_snapshot(snapshot, pa.schema(METADATA_FIELDS), index.dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
def test_a_mapped_snapshot_answers_as_the_index_it_was_saved_from(tmp_path, dtype, monkeypatch):
    import photofinder.vector_index as vector_index

    monkeypatch.setattr(vector_index, "PARTITION_MIN_ROWS", 2000)
    monkeypatch.setattr(vector_index, "ROWS_PER_PARTITION", 50)
    vectors = clustered(3000)
    index = new_index(dtype)
    index.append(rows(0, vectors), partition=False)
    index.partition()
    late = clustered(100, seed=5)
    index.append(rows(3000, late), partition=False)  # past the partitions: scanned exactly
    mapped = saved_and_mapped(index, tmp_path / "snap")
    assert mapped.partitioned and len(mapped) == len(index)
    for q in [*clustered(10, seed=9), vectors[1], late[3]]:
        (found, scores), (truth, truth_scores) = mapped.search(q, 30), index.search(q, 30)
        np.testing.assert_allclose(scores, truth_scores, atol=1e-5 if dtype == torch.float32 else 2e-3)
        if dtype == torch.float32:  # in float16, equal scores may come in another order
            assert numbers(found) == numbers(truth)
    mapped.append(rows(5000, clustered(5, seed=11)))  # a mapped index still takes writes
    assert numbers(mapped.search(clustered(5, seed=11)[2], 1)[0]) == [5002]


def test_removed_rows_leave_the_partitions_they_were_in(tmp_path, monkeypatch):
    import photofinder.vector_index as vector_index

    monkeypatch.setattr(vector_index, "PARTITION_MIN_ROWS", 2000)
    monkeypatch.setattr(vector_index, "ROWS_PER_PARTITION", 50)
    monkeypatch.setattr(vector_index, "PROBE_SHARE", 0.15)
    vectors = clustered(3000)
    index = new_index()
    index.append(rows(0, vectors), partition=False)
    index.partition()
    gone = set(range(0, 3000, 7))
    index.remove_paths([f"/lib/f{i % 4}/{i}.jpg" for i in sorted(gone)])
    mapped = saved_and_mapped(index, tmp_path / "snap")
    assert len(mapped) == 3000 - len(gone)
    recalls = []
    for q in clustered(20, seed=3):
        found = numbers(mapped.search(q, 50)[0])
        assert not gone & set(found)
        truth = [i for i in np.argsort(-(vectors @ q)) if i not in gone][:50]
        recalls.append(len(set(truth) & set(found)) / 50)
    assert np.mean(recalls) >= 0.9
    assert numbers(mapped.search(vectors[1], 1)[0]) == [1]


def test_a_stale_or_damaged_snapshot_is_not_opened(tmp_path):
    index = new_index()
    index.append(rows(0, clustered(50)))
    folder = tmp_path / "snap"
    save(folder, 3, *index.snapshot_parts())
    assert open_snapshot(folder, 3, DIM, METADATA_COLUMNS) is not None
    assert open_snapshot(folder, 4, DIM, METADATA_COLUMNS) is None  # a write since
    assert open_snapshot(folder, 3, DIM, [*METADATA_COLUMNS, "more"]) is None  # other columns
    np.save(folder / VECTORS_F32, np.zeros((49, DIM), np.float32))
    assert open_snapshot(folder, 3, DIM, METADATA_COLUMNS) is None
    (folder / STATE_FILE).write_text("{")
    assert open_snapshot(folder, 3, DIM, METADATA_COLUMNS) is None


@pytest.fixture
def indexed(tiny_model, tmp_path):
    folder = tmp_path / "shapes"
    folder.mkdir()
    write_photos(folder, 60, seed=77)
    library = Library()
    library.add_folder(folder)
    library.index()
    return library


SEARCH_IN_A_NEW_PROCESS = """
import json, sys
from photofinder.library import Library
from photofinder.records import Gate, SearchFilter
hits = Library().search_text("a red circle", 10)
print(json.dumps({"paths": [h.photo.path for h in hits], "scores": [h.score for h in hits],
                  "heavy": [m for m in ("torch", "lancedb", "open_clip") if m in sys.modules]}))
"""


def test_a_new_process_searches_the_snapshot_without_torch_or_lancedb(indexed):
    expected = indexed.search_text("a red circle", 10)
    found = json.loads(subprocess.run([sys.executable, "-c", SEARCH_IN_A_NEW_PROCESS],
                                      capture_output=True, text=True, check=True,
                                      env=os.environ).stdout)
    assert found["heavy"] == []
    assert_same_ranking(found, [h.photo.path for h in expected], [h.score for h in expected])


def test_after_a_write_the_table_answers_until_the_snapshot_is_saved_again(indexed):
    first = indexed.search_text("a red circle", 1)[0].photo.path
    indexed.forget(first)  # another version: the snapshot is stale
    found = json.loads(subprocess.run([sys.executable, "-c", SEARCH_IN_A_NEW_PROCESS],
                                      capture_output=True, text=True, check=True,
                                      env=os.environ).stdout)
    assert first not in found["paths"] and "lancedb" in found["heavy"]
    indexed.store.save_snapshot()
    again = json.loads(subprocess.run([sys.executable, "-c", SEARCH_IN_A_NEW_PROCESS],
                                      capture_output=True, text=True, check=True,
                                      env=os.environ).stdout)
    assert again["heavy"] == []
    assert_same_ranking(again, found["paths"], found["scores"])


def assert_same_ranking(found: dict, paths: list[str], scores: list[float]) -> None:
    """The same photos in the same order, but for near ties: float16 in memory and float32
    in the snapshot differ in the last digits, which may swap two photos scored alike."""
    assert len(found["paths"]) == len(paths)
    for i, (path, score) in enumerate(zip(found["paths"], found["scores"])):
        assert abs(score - scores[i]) < TIE, (i, score, scores[i])
        if path != paths[i]:
            assert path in paths and abs(scores[paths.index(path)] - score) < TIE, (i, path)


TIE = 2e-3


def test_while_writes_keep_coming_the_snapshot_is_saved_at_most_once_a_while(indexed, monkeypatch):
    import time
    from pathlib import Path

    import photofinder.store as store_module

    monkeypatch.setattr(store_module, "SNAPSHOT_EVERY", 1.5)
    # as if one had just been saved, with room for a slow index() on a loaded machine: the
    # commit must find the next save still ahead of it
    indexed.store._last_snapshot = time.monotonic() + 6
    more = Path(indexed.folders()[0]) / "more"
    more.mkdir()
    write_photos(more, 3, seed=5)
    indexed.index()
    assert indexed._snapshot_search() is None  # stale, and not saved at once...
    deadline = time.monotonic() + 60
    while indexed._snapshot_search() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(indexed._snapshot_search()) == 63  # ...but by the timer


def test_a_one_off_search_probes_the_snapshot_partitions_as_the_index_does(tmp_path, monkeypatch):
    """Not an exact scan of every mapped row: the same partitions as the in-memory index,
    so the same answers, and the same misses where a probe misses."""
    import photofinder.partition_probe as partition_probe
    import photofinder.vector_index as vector_index
    from photofinder.vector_snapshot import SnapshotSearch

    monkeypatch.setattr(vector_index, "PARTITION_MIN_ROWS", 2000)
    monkeypatch.setattr(vector_index, "ROWS_PER_PARTITION", 50)
    monkeypatch.setattr(vector_index, "PROBE_SHARE", 0.03)
    monkeypatch.setattr(partition_probe, "PROBE_SHARE", 0.03)
    vectors = clustered(3000)
    index = new_index(torch.float32)
    index.append(rows(0, vectors), partition=False)
    index.partition()
    index.append(rows(3000, clustered(20, seed=5)), partition=False)  # scanned exactly
    save(tmp_path / "snap", 7, *index.snapshot_parts())
    search = SnapshotSearch(open_snapshot(tmp_path / "snap", 7, DIM, METADATA_COLUMNS),
                            "test", lambda: None)
    differs = 0
    for q in [*clustered(20, seed=9), clustered(20, seed=5)[4]]:
        hits = search.search(q, 30)
        found, scores = index.search(q, 30)
        assert [int(h.photo.path.rsplit("/", 1)[1][:-4]) for h in hits] == numbers(found)
        np.testing.assert_allclose([h.score for h in hits], scores, atol=1e-5)
        everything = np.concatenate([vectors, clustered(20, seed=5)])
        differs += set(numbers(found)) != set(np.argsort(-(everything @ q))[:30].tolist())
    assert differs  # a probe this narrow misses some rows an exact scan finds
    assert int(search.search(clustered(20, seed=5)[4], 1)[0].photo.path.rsplit("/", 1)[1][:-4]) == 3004


FILTERS = [SearchFilter(folders=("/lib/f1",)), SearchFilter(types=("jpg",)),
           SearchFilter(taken_after=datetime(2020, 6, 1), taken_before=datetime(2021, 1, 1)),
           SearchFilter(paths=frozenset(f"/lib/f{i % 4}/{i}.jpg" for i in range(0, 900, 7)))]


@pytest.mark.parametrize("search_filter", FILTERS)
def test_a_snapshot_filters_and_gates_as_the_index_does(tmp_path, search_filter):
    vectors = clustered(900)
    index = new_index(torch.float32)
    index.append(rows(0, vectors))
    mapped = SnapshotSearch(open_snapshot(*saved(index, tmp_path / "snap"), DIM, METADATA_COLUMNS),
                            "m", open_store=lambda: pytest.fail("answered by the snapshot"))
    query, gate = clustered(2, seed=9)
    gates = (Gate(gate, 0.1, above=False),)
    for gated in ((), gates):
        found, scores = index.search(query, 25, search_filter, gated)
        hits = mapped.search(query, 25, search_filter, gated)
        assert [h.photo.path for h in hits] == found.column("path").to_pylist()
        np.testing.assert_allclose([h.score for h in hits], scores, atol=1e-5)


def test_a_partitioned_snapshot_leaves_filters_to_the_store(tmp_path, monkeypatch):
    """The index's probe decides which partitions a filter needs: the store answers."""
    import photofinder.vector_index as vector_index

    monkeypatch.setattr(vector_index, "PARTITION_MIN_ROWS", 2000)
    monkeypatch.setattr(vector_index, "ROWS_PER_PARTITION", 50)
    index = new_index(torch.float32)
    index.append(rows(0, clustered(3000)), partition=False)
    index.partition()
    asked = []

    class Store:
        def search(self, *args):
            asked.append(args)
            return []

    mapped = SnapshotSearch(open_snapshot(*saved(index, tmp_path / "snap"), DIM, METADATA_COLUMNS),
                            "m", open_store=Store)
    query = clustered(1, seed=9)[0]
    assert len(mapped.search(query, 10)) == 10 and not asked  # no filter: probed in numpy
    mapped.search(query, 10, FILTERS[0])
    assert asked and asked[0][2] == FILTERS[0]


def saved(index: VectorIndex, folder, version: int = 7):
    save(folder, version, *index.snapshot_parts())
    return folder, version

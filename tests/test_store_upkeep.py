"""The table's upkeep: lookups by index, one copy of each row on disk, crash safety."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime

import numpy as np
import pytest

import photofinder.store as store_module
from photofinder.records import Photo
from photofinder.store import PhotoStore, photo_schema

DIM = 512  # real rows, so that the bytes on disk are mostly vectors
ROW_BYTES = DIM * 4


def photos(paths: list[str], fingerprint: str = "fp") -> list[Photo]:
    return [Photo(path=p, folder=os.path.dirname(p), size=100, mtime_ns=1,
                  fingerprint=f"{fingerprint}-{p}", width=40, height=30,
                  taken_at=datetime(2020, 1, 1)) for p in paths]


def vectors(count: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(count, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path) -> PhotoStore:
    return PhotoStore(tmp_path / "index", "test/model", DIM)


def test_optimizing_leaves_one_copy_of_rows_written_and_rewritten_in_many_commits(store):
    paths = [f"/lib/{i:05d}.jpg" for i in range(2000)]
    for start in range(0, 2000, 250):
        store.upsert(photos(paths[start:start + 250]), vectors(250, start))
    store.upsert(photos(paths, fingerprint="edited"), vectors(2000, 99))  # every photo edited
    store.optimize()
    assert store.count() == 2000
    assert store.disk_bytes() < 1.2 * 2000 * ROW_BYTES


def test_upkeep_bounds_what_many_small_commits_leave_on_disk(store, monkeypatch):
    monkeypatch.setattr(store_module, "MAINTAIN_EVERY", 8)
    for seed in range(64):  # one photo edited again and again: each commit rewrites its row
        store.upsert(photos(["/lib/a.jpg"]), vectors(1, seed))
    assert store.count() == 1
    assert store.disk_bytes() < 12 * ROW_BYTES + 16_000  # without upkeep: 330 KB
    np.testing.assert_allclose(store.vector_of("/lib/a.jpg"), vectors(1, 63)[0], rtol=1e-6)


def test_lookups_find_rows_before_and_after_upkeep(store):
    old = [f"/lib/old/{i}.jpg" for i in range(40)]
    store.upsert(photos(old), vectors(40))
    store.optimize()  # these are in the indexes now; the next ones are not yet
    new = [f"/lib/new/{i}.jpg" for i in range(40)]
    store.upsert(photos(new), vectors(40, 1))
    wanted = [f"fp-{p}" for p in old[:3] + new[:3]] + ["fp-/lib/missing.jpg"]
    assert store.known_fingerprints(wanted) == set(wanted[:-1])
    roots = old + new[:30] + ["/lib/new"]  # more roots than one query takes
    assert set(store.file_stats(roots).column("path").to_pylist()) == set(old + new)
    assert sorted(store.file_stats(new[:3]).column("path").to_pylist()) == sorted(new[:3])
    assert store.file_stats([]).num_rows == 0


def test_a_batch_of_new_and_edited_photos_replaces_and_adds(store):
    store.upsert(photos(["/lib/a.jpg", "/lib/b.jpg"]), vectors(2))
    store.search(vectors(1)[0], k=1)  # loads the in-memory index, which must follow
    store.upsert(photos(["/lib/b.jpg", "/lib/c.jpg"], fingerprint="v2"), vectors(2, 5))
    rows = Counter(p.path for p in store.photos())
    assert rows == {"/lib/a.jpg": 1, "/lib/b.jpg": 1, "/lib/c.jpg": 1}
    hits = store.search(vectors(2, 5)[0], k=10)
    assert [h.photo.path for h in hits].count("/lib/b.jpg") == 1
    assert hits[0].photo.path == "/lib/b.jpg" and hits[0].photo.fingerprint == "v2-/lib/b.jpg"


def test_a_table_made_before_the_indexes_gets_them_when_optimized(tmp_path):
    import lancedb

    index_dir = tmp_path / "index"
    PhotoStore(index_dir, "m", DIM).drop()
    lancedb.connect(str(index_dir)).create_table("photos_m", schema=photo_schema(DIM))
    store = PhotoStore(index_dir, "m", DIM)
    store.upsert(photos(["/lib/a.jpg"]), vectors(1))
    store.optimize()
    indexed = {c for index in store._table.list_indices() for c in index.columns}
    assert indexed >= set(store_module.LOOKUP_COLUMNS)
    assert store.known_fingerprints(["fp-/lib/a.jpg"]) == {"fp-/lib/a.jpg"}


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    import photofinder.store as store_module
    sys.path.insert(0, {tests!r})
    from test_store_upkeep import BATCH, batch_photos, vectors
    store_module.MAINTAIN_EVERY = 3  # upkeep every few commits, so kills land in it too
    store = store_module.PhotoStore(Path({index!r}), "m", {dim})
    batch = store.count() // BATCH
    print("writing", flush=True)
    while True:
        store.upsert(batch_photos(batch), vectors(BATCH, batch))
        if batch % 4 == 3:  # edit the previous batch: a commit that replaces rows
            store.upsert(batch_photos(batch - 1), vectors(BATCH, 10_000 + batch))
        batch += 1
""")
BATCH = 20


def batch_photos(batch: int) -> list[Photo]:
    return photos([f"/lib/{batch:05d}/{i:02d}.jpg" for i in range(BATCH)])


@pytest.mark.slow
def test_sigkill_during_commits_and_upkeep_keeps_whole_batches(tmp_path):
    index = tmp_path / "index"
    code = WRITER.format(tests=os.path.dirname(__file__), index=str(index), dim=DIM)
    rng = random.Random(3)
    counts = []
    for _ in range(8):
        writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        writer.stdout.readline()  # opened: start-up time varies with the machine's load
        time.sleep(rng.uniform(0.3, 2.5))
        writer.send_signal(signal.SIGKILL)
        _, stderr = writer.communicate()
        assert writer.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
        store = PhotoStore(index, "m", DIM)
        rows = Counter(p.path for p in store.photos())
        assert max(rows.values(), default=1) == 1, "a row is there twice"
        batches = Counter(int(path.split("/")[2]) for path in rows)
        assert set(batches) == set(range(len(batches))), "a batch is missing"
        assert set(batches.values()) <= {BATCH}, "a batch is there in part"
        assert len(store.search(vectors(1)[0], k=5)) == min(5, len(rows))  # vectors readable
        counts.append(len(rows))
    assert counts == sorted(counts) and counts[-1] > 0

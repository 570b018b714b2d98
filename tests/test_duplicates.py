"""Near-duplicates: known copies of real photos among distinct ones, with the tiny model."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import datetime

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from photofinder_testing.duplicate_set import make_duplicate_set
from photofinder.duplicates import close_vector_pairs, duplicate_pairs, keeper_first
from photofinder.library import Library
from photofinder.records import Likeness, Photo
from photofinder.store import (
    EXIF_DETAIL_FIELDS, METADATA_FIELDS, SCHEMA_VERSION, PhotoStore, photos_from_arrow,
)

ORIGINALS = 30


@pytest.fixture(scope="module")
def duplicate_folder(shared_photos, tmp_path_factory):
    folder = tmp_path_factory.mktemp("duplicates")
    photos = sorted(shared_photos.glob("*.jpg"))
    return folder, make_duplicate_set(photos, folder, originals=ORIGINALS)


@pytest.fixture
def indexed(tiny_model, duplicate_folder):
    folder, groups = duplicate_folder
    library = Library()
    library.add_folder(folder)
    assert not library.index().problems
    return library, groups


def pair_set(groups) -> set[tuple[str, str]]:
    return {(a, b) for group in groups for a in group for b in group if a < b}


def test_known_copies_are_grouped_and_distinct_photos_are_not(indexed):
    library, truth = indexed
    found = [{p.path for p in group.photos} for group in library.duplicates()]
    true_pairs, found_pairs = pair_set(truth), pair_set(found)
    precision = len(true_pairs & found_pairs) / len(found_pairs)
    recall = len(true_pairs & found_pairs) / len(true_pairs)
    print(f"pairs: precision {precision:.3f}, recall {recall:.3f}; "
          f"groups found {len(found)}, true {len(truth)}, exact {sum(g in truth for g in found)}")
    assert precision >= 0.95 and recall >= 0.95
    assert sum(group in truth for group in found) >= 0.95 * len(truth)


def test_duplicates_below_a_folder_only(indexed, duplicate_folder, tmp_path):
    library, truth = indexed
    other = tmp_path / "other"
    other.mkdir()
    one_group = sorted(truth[0])
    for path in one_group[:2]:
        shutil.copy(path, other)
    library.add_folder(other)
    library.index([other])
    groups = library.duplicates(other)
    assert [sorted(p.name for p in g.photos) for g in groups] == [
        sorted(os.path.basename(p) for p in one_group[:2])]


def test_a_moved_copy_keeps_its_likeness_without_a_decode(indexed, duplicate_folder, tmp_path):
    library, _ = indexed
    folder, _ = duplicate_folder
    original = str(folder / "photo000-resized.jpg")
    [before] = photos_from_arrow(library.store.rows_of([original]))
    moved = tmp_path / "moved.jpg"
    shutil.copy(folder / "photo000-resized.jpg", moved)
    library.add_folder(tmp_path)
    changes = library.index([tmp_path])
    [photo] = changes.photos
    assert changes.added == (str(moved),) and photo.likeness == before.likeness is not None


def test_photos_indexed_before_hashes_are_measured_when_duplicates_are_asked(indexed):
    library, truth = indexed
    expected = [sorted(p.path for p in g.photos) for g in library.duplicates()]
    library.store._table.update(values_sql={"phash": "NULL", "sharpness": "NULL", "has_exif": "NULL"})
    assert library.store.likeness_rows().column("phash").null_count == library.store.count()
    assert [sorted(p.path for p in g.photos) for g in library.duplicates()] == expected
    assert library.store.likeness_rows().column("phash").null_count == 0


def test_a_schema_1_index_gains_the_likeness_columns_and_keeps_its_rows(tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    schema_1 = [f for f in METADATA_FIELDS if f not in EXIF_DETAIL_FIELDS]  # those came with 4
    old_schema = pa.schema([*schema_1, pa.field("vector", pa.list_(pa.float32(), 4))])
    rows = pa.table({"path": ["/p/a.jpg"], "folder": ["/p"], "size": [1], "mtime_ns": [1],
                     "fingerprint": ["f"], "width": [2], "height": [3],
                     "taken_at": [datetime(2020, 1, 1)], "model_id": ["m"],
                     "vector": [[1.0, 0.0, 0.0, 0.0]]}, schema=old_schema)
    lancedb.connect(str(index_dir)).create_table("photos_m", data=rows)
    (index_dir / "schema.json").write_text(json.dumps({"version": 1}))
    store = PhotoStore(index_dir, "m", 4)
    [photo] = store.photos()
    assert photo.path == "/p/a.jpg" and photo.likeness is None
    assert store.likeness_rows().column("phash").to_pylist() == [None]
    assert json.loads((index_dir / "schema.json").read_text())["version"] == SCHEMA_VERSION


def photo(name: str, width: int = 100, height: int = 100, sharpness: float = 100.0,
          has_exif: bool = False, size: int = 1000) -> Photo:
    return Photo(f"/p/{name}", "/p", size, 1, name, width, height, datetime(2020, 1, 1),
                 Likeness(0, sharpness, has_exif))


def test_the_keeper_is_the_largest_then_sharpest_then_with_exif():
    small_sharp = photo("small.jpg", 50, 50, sharpness=900)
    blurred = photo("blurred.jpg", sharpness=20)
    plain = photo("plain.jpg", sharpness=100, size=2000)
    with_exif = photo("exif.jpg", sharpness=95, has_exif=True)  # within the tolerance of 100
    order = keeper_first([small_sharp, blurred, plain, with_exif])
    assert [p.name for p in order] == ["exif.jpg", "plain.jpg", "blurred.jpg", "small.jpg"]
    assert keeper_first([blurred, replace(blurred, path="/p/big.jpg", width=200)])[0].path == "/p/big.jpg"


def test_pairs_are_found_within_cells_as_by_comparing_all(tmp_path):
    """Beyond EXACT_ROWS photos are compared within k-means cells: planted pairs are all found."""
    rng = np.random.default_rng(1)
    count, planted = 12_000, 300
    centres = rng.normal(size=(40, 64))
    vectors = centres[rng.integers(0, 40, count)] + 0.7 * rng.normal(size=(count, 64))
    copies = rng.choice(count, planted, replace=False)
    vectors = np.concatenate([vectors, vectors[copies] + 0.05 * rng.normal(size=(planted, 64))])
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    hashes = rng.integers(-2**63, 2**63 - 1, count, dtype=np.int64)
    hashes = np.concatenate([hashes, hashes[copies] ^ 0b101])  # two bits apart
    pairs = {tuple(p) for p in duplicate_pairs(hashes, vectors).tolist()}
    assert {(int(c), count + i) for i, c in enumerate(copies)} <= pairs
    assert len(pairs) == planted
    found, cosines = close_vector_pairs(vectors[:3000], 0.9)
    exact = vectors[:3000] @ vectors[:3000].T
    assert np.allclose(cosines, exact[found[:, 0], found[:, 1]], atol=1e-5)

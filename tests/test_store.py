"""The LanceDB photo table, on real tables in a temporary folder."""

from __future__ import annotations

import os
from datetime import datetime

import numpy as np
import pytest

from photofinder.errors import StoreError
from photofinder.records import Photo, SearchFilter
from photofinder.store import PhotoStore

DIM = 8


def make_photo(path: str, fingerprint: str = "", taken_at: datetime | None = None) -> Photo:
    return Photo(path=path, folder=os.path.dirname(path), size=100, mtime_ns=1,
                 fingerprint=fingerprint or f"fp-{path}", width=40, height=30,
                 taken_at=taken_at or datetime(2020, 1, 1))


def unit(*values: float) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


@pytest.fixture
def store(tmp_path) -> PhotoStore:
    return PhotoStore(tmp_path / "index", "test/model", DIM)


def test_upsert_replaces_rows_by_path(store):
    store.upsert([make_photo("/p/a.jpg"), make_photo("/p/b.jpg")], np.stack([unit(1), unit(0, 1)]))
    store.upsert([make_photo("/p/a.jpg", fingerprint="new")], np.stack([unit(0, 0, 1)]))
    assert store.count() == 2
    rows = {p.path: p for p in store.photos()}
    assert rows["/p/a.jpg"].fingerprint == "new"
    np.testing.assert_allclose(store.vector_of("/p/a.jpg"), unit(0, 0, 1))


def test_search_returns_cosine_similarity_best_first(store):
    store.upsert([make_photo("/p/a.jpg"), make_photo("/p/b.jpg"), make_photo("/p/c.jpg")],
                 np.stack([unit(1), unit(1, 1), unit(0, 1)]))
    hits = store.search(unit(1), k=3)
    assert [h.photo.path for h in hits] == ["/p/a.jpg", "/p/b.jpg", "/p/c.jpg"]
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert hits[1].score == pytest.approx(np.sqrt(0.5), abs=1e-5)
    assert hits[2].score == pytest.approx(0.0, abs=1e-5)


def test_folder_filter_matches_subfolders_not_name_prefixes(store):
    paths = ["/lib/trip/a.jpg", "/lib/trip/day2/b.jpg", "/lib/trip2/c.jpg", "/lib/tri_p/d.jpg"]
    store.upsert([make_photo(p) for p in paths], np.stack([unit(1)] * 4))
    hits = store.search(unit(1), k=10, search_filter=SearchFilter(folders=("/lib/trip",)))
    assert sorted(h.photo.path for h in hits) == ["/lib/trip/a.jpg", "/lib/trip/day2/b.jpg"]


def test_date_filter(store):
    photos = [make_photo(f"/p/{y}.jpg", taken_at=datetime(y, 6, 1)) for y in (2018, 2019, 2020)]
    store.upsert(photos, np.stack([unit(1)] * 3))
    window = SearchFilter(taken_after=datetime(2019, 1, 1), taken_before=datetime(2020, 1, 1))
    assert [h.photo.path for h in store.search(unit(1), 10, window)] == ["/p/2019.jpg"]
    assert store.count(window) == 1


def test_quotes_in_paths_are_safe(store):
    tricky = "/p/it's \"odd\" 100%_.jpg"
    store.upsert([make_photo(tricky)], np.stack([unit(1)]))
    assert store.vector_of(tricky) is not None
    assert store.delete_paths([tricky]) == 1
    assert store.count() == 0


def test_delete_below_a_folder(store):
    store.upsert([make_photo("/a/x.jpg"), make_photo("/a/sub/y.jpg"), make_photo("/ab/z.jpg")],
                 np.stack([unit(1)] * 3))
    assert store.delete_below("/a") == 2
    assert [p.path for p in store.photos()] == ["/ab/z.jpg"]


def test_rows_by_fingerprint_return_vector_and_metadata(store):
    store.upsert([make_photo("/p/a.jpg", fingerprint="abc")], np.stack([unit(0, 1)]))
    found = store.rows_by_fingerprint(["abc", "missing"])
    assert set(found) == {"abc"}
    photo, vector = found["abc"]
    assert photo.path == "/p/a.jpg" and photo.width == 40
    np.testing.assert_allclose(vector, unit(0, 1))


def test_reopening_keeps_rows_and_checks_dimension(tmp_path):
    first = PhotoStore(tmp_path / "index", "m", DIM)
    first.upsert([make_photo("/p/a.jpg")], np.stack([unit(1)]))
    assert PhotoStore(tmp_path / "index", "m", DIM).count() == 1
    with pytest.raises(StoreError, match="8-d"):
        PhotoStore(tmp_path / "index", "m", 16)


def test_models_get_separate_tables(tmp_path):
    a = PhotoStore(tmp_path / "index", "arch/one", DIM)
    a.upsert([make_photo("/p/a.jpg")], np.stack([unit(1)]))
    assert PhotoStore(tmp_path / "index", "arch/two", DIM).count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_index_gives_a_clear_error_and_keeps_rows(tmp_path):
    store = PhotoStore(tmp_path / "index", "m", DIM)
    store.upsert([make_photo("/p/a.jpg")], np.stack([unit(1)]))
    for root, dirs, files in os.walk(tmp_path / "index"):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o555 if name in dirs else 0o444)
    os.chmod(tmp_path / "index", 0o555)
    try:
        with pytest.raises(StoreError, match="cannot write"):
            store.upsert([make_photo("/p/b.jpg")], np.stack([unit(1)]))
        assert store.count() == 1
    finally:
        for root, dirs, _ in os.walk(tmp_path):
            os.chmod(root, 0o755)


def test_index_folder_records_its_schema_and_refuses_a_newer_one(tmp_path):
    import json

    PhotoStore(tmp_path / "index", "m", DIM)
    marker = tmp_path / "index" / "schema.json"
    assert json.loads(marker.read_text())["version"] >= 1
    marker.write_text(json.dumps({"version": 999}))
    with pytest.raises(StoreError, match="newer photofinder"):
        PhotoStore(tmp_path / "index", "m", DIM)


def test_older_schema_is_migrated_forward(tmp_path, monkeypatch):
    import json

    import photofinder.store as store_module

    PhotoStore(tmp_path / "index", "m", DIM)
    marker = tmp_path / "index" / "schema.json"
    current = store_module.SCHEMA_VERSION
    marker.write_text(json.dumps({"version": current - 1}))
    ran = []
    monkeypatch.setitem(store_module.MIGRATIONS, current - 1, ran.append)
    PhotoStore(tmp_path / "index", "m", DIM)
    assert ran == [tmp_path / "index"]
    assert json.loads(marker.read_text())["version"] == current


def test_searches_follow_writes_made_after_the_first_search(store, tmp_path):
    store.upsert([make_photo("/p/a.jpg"), make_photo("/p/b.jpg")], np.stack([unit(1), unit(0, 1)]))
    assert store.search(unit(1), k=1)[0].photo.path == "/p/a.jpg"  # loads the in-memory index
    store.upsert([make_photo("/p/a.jpg")], np.stack([unit(0, 0, 1)]))  # a's vector changed
    store.upsert([make_photo("/q/c.jpg")], np.stack([unit(1, 0.1)]))
    store.delete_paths(["/p/b.jpg"])
    found = [h.photo.path for h in store.search(unit(1), k=10)]
    assert found == ["/q/c.jpg", "/p/a.jpg"]
    store.delete_below("/q")
    assert [h.photo.path for h in store.search(unit(1), k=10)] == ["/p/a.jpg"]
    reopened = PhotoStore(tmp_path / "index", "test/model", DIM)
    assert [h.photo.path for h in reopened.search(unit(1), k=10)] == ["/p/a.jpg"]


def test_rows_without_vectors_are_listed_but_never_searched(store):
    store.upsert([make_photo("/p/a.jpg"), make_photo("/p/b.jpg", fingerprint="fp-b")],
                 [unit(1), None])
    assert store.count() == 2 and store.count_without_vectors() == 1
    assert sorted(p.path for p in store.photos()) == ["/p/a.jpg", "/p/b.jpg"]
    assert [h.photo.path for h in store.search(unit(1), k=10)] == ["/p/a.jpg"]
    assert store.vector_of("/p/b.jpg") is None
    assert store.known_fingerprints(["fp-b", "fp-/p/a.jpg"]) == {"fp-/p/a.jpg"}
    assert list(store.rows_by_fingerprint(["fp-b"])) == []
    assert store.file_stats(["/p"], without_vectors=True).column("path").to_pylist() == ["/p/b.jpg"]
    store.upsert([make_photo("/p/b.jpg", fingerprint="fp-b")], [unit(0, 1)])  # the model came
    assert store.count_without_vectors() == 0
    assert [h.photo.path for h in store.search(unit(0, 1), k=1)] == ["/p/b.jpg"]


def test_a_vector_can_be_cleared_after_the_first_search(store):
    store.upsert([make_photo("/p/a.jpg"), make_photo("/p/b.jpg")], np.stack([unit(1), unit(1, 1)]))
    assert len(store.search(unit(1), k=10)) == 2  # the in-memory index is loaded
    store.upsert([make_photo("/p/a.jpg", fingerprint="edited")], [None])  # changed, no model
    assert [h.photo.path for h in store.search(unit(1), k=10)] == ["/p/b.jpg"]
    assert store.count() == 2


def test_a_schema_3_index_gains_camera_and_gps_columns_and_still_searches(tmp_path):
    """An index written before cameras and positions were read: its rows keep their vectors
    and get null cameras and positions; its old snapshot (fewer columns) is not used."""
    import dataclasses
    import json

    import lancedb
    import pyarrow as pa

    from photofinder.store import EXIF_DETAIL_FIELDS, photo_schema, table_name_for
    from photofinder.vector_snapshot import save, snapshot_folder, table_version

    index = tmp_path / "index"
    old_fields = [f for f in photo_schema(DIM) if f.name not in {f.name for f in EXIF_DETAIL_FIELDS}]
    old_schema = pa.schema(old_fields, metadata={"photofinder_schema": "3"})
    rows = {"path": ["/p/a.jpg", "/p/b.jpg"], "folder": ["/p", "/p"], "size": [1, 2], "mtime_ns": [1, 2],
            "fingerprint": ["fa", "fb"], "width": [40, 40], "height": [30, 30],
            "taken_at": [datetime(2020, 1, 1)] * 2, "model_id": ["m"] * 2, "phash": [None, None],
            "sharpness": [None, None], "has_exif": [None, None],
            "vector": [unit(1).tolist(), unit(0, 1).tolist()]}
    name = table_name_for("m")
    lancedb.connect(str(index)).create_table(name, pa.table(rows, schema=old_schema))
    (index / "schema.json").write_text(json.dumps({"version": 3}))
    old_metadata = pa.table({k: v for k, v in rows.items() if k not in ("phash", "sharpness", "has_exif",
                                                                        "vector")})
    save(snapshot_folder(index, name), table_version(index, name),
         np.stack([unit(1), unit(0, 1)]), old_metadata, None)

    store = PhotoStore(index, "m", DIM)
    assert json.loads((index / "schema.json").read_text())["version"] == 4
    assert {"camera", "latitude", "longitude"} <= set(store._table.schema.names)
    assert [(p.camera, p.location) for p in store.photos()] == [(None, None), (None, None)]
    assert [h.photo.path for h in store.search(unit(1), k=2)] == ["/p/a.jpg", "/p/b.jpg"]

    tagged = dataclasses.replace(make_photo("/p/c.jpg"), camera="Google Pixel 7", location=(48.86, 2.35))
    store.upsert([tagged], np.stack([unit(1, 1)]))
    pixel = SearchFilter(cameras=("pixel",))
    assert [h.photo.path for h in store.search(unit(1), k=3, search_filter=pixel)] == ["/p/c.jpg"]
    assert [p.path for p in store.photos(pixel)] == ["/p/c.jpg"]
    reopened = PhotoStore(index, "m", DIM)
    assert reopened.photo_at("/p/c.jpg").location == (48.86, 2.35)
    assert len(reopened.search(unit(1), k=3)) == 3

"""Incremental indexing on real folders: skips, reuse by fingerprint, removal, cancel."""

from __future__ import annotations

import os
import shutil
import threading

import numpy as np
import pytest

from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos


@pytest.fixture
def library(tiny_model):
    return Library()


def index(library, *roots):
    progress = []
    changes = library.index([str(r) for r in roots], progress=progress.append)
    return changes, progress[-1] if progress else None


def test_second_run_opens_nothing(library, tmp_path):
    write_photos(tmp_path / "p", 20, seed=1)
    first, _ = index(library, tmp_path / "p")
    assert len(first.added) == 20
    second, progress = index(library, tmp_path / "p")
    assert second.is_empty and progress is None  # nothing to do: no file was opened
    assert library.store.count() == 20


def test_moved_folder_reuses_vectors_without_inference(library, tmp_path):
    write_photos(tmp_path / "lib" / "trip", 30, seed=2)
    index(library, tmp_path / "lib")
    before = {p.name: library.store.vector_of(p.path) for p in library.photos()}
    os.rename(tmp_path / "lib" / "trip", tmp_path / "lib" / "holiday")
    changes, progress = index(library, tmp_path / "lib")
    assert progress.embedded == 0 and progress.reused == 30
    assert len(changes.added) == 30 and len(changes.removed) == 30
    after = library.photos()
    assert len(after) == 30 and all("/holiday/" in p.path for p in after)
    for photo in after:
        np.testing.assert_array_equal(library.store.vector_of(photo.path), before[photo.name])


def test_copies_reuse_and_edits_re_embed(library, tmp_path):
    photos = write_photos(tmp_path / "p", 10, seed=3)
    index(library, tmp_path / "p")
    shutil.copy(photos[0][0], tmp_path / "p" / "copy.jpg")
    photos[1][0].write_bytes(photos[2][0].read_bytes() + b"\0")  # content really changed
    changes, progress = index(library, tmp_path / "p")
    assert changes.added == (str(tmp_path / "p" / "copy.jpg"),)
    assert changes.updated == (str(photos[1][0]),)
    assert progress.reused == 1 and progress.embedded == 1
    assert library.store.count() == 11


def test_deleted_files_are_removed(library, tmp_path):
    photos = write_photos(tmp_path / "p", 10, seed=4)
    index(library, tmp_path / "p")
    for path, _ in photos[:4]:
        path.unlink()
    changes, _ = index(library, tmp_path / "p")
    assert sorted(changes.removed) == sorted(str(p) for p, _ in photos[:4])
    assert library.store.count() == 6


def test_missing_folder_keeps_its_photos(library, tmp_path):
    write_photos(tmp_path / "drive" / "photos", 8, seed=5)
    index(library, tmp_path / "drive" / "photos")
    os.rename(tmp_path / "drive", tmp_path / "unplugged")
    changes, _ = index(library, tmp_path / "drive" / "photos")
    assert not changes.removed and library.store.count() == 8
    assert "not found" in changes.problems[0].reason


def test_empty_mount_point_keeps_its_photos(library, tmp_path):
    """An unmounted share leaves its mount point behind, empty: that is not a deletion."""
    mount_point = tmp_path / "share"
    write_photos(mount_point, 6, seed=7)
    index(library, mount_point)
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for child in list(mount_point.iterdir()):
        child.rename(hidden / child.name)  # as if unmounted: the folder is there, empty
    changes, _ = index(library, mount_point)
    assert not changes.removed and library.store.count() == 6
    assert "empty" in changes.problems[0].reason


def test_cancel_commits_finished_batches_and_resumes(library, tmp_path, monkeypatch):
    import photofinder.indexing.indexer as indexer

    monkeypatch.setattr(indexer, "COMMIT_ROWS", 16)
    write_photos(tmp_path / "p", 120, seed=6)
    cancel = threading.Event()
    first = library.index([str(tmp_path / "p")], cancel=cancel,
                          on_commit=lambda changes: cancel.set())  # stop after the first commit
    assert first.cancelled and 16 <= len(first.added) < 120
    second = library.index([str(tmp_path / "p")])
    assert len(first.added) + len(second.added) == 120
    paths = [p.path for p in library.photos()]
    assert len(paths) == len(set(paths)) == 120


def test_hostile_files_are_reported_and_good_ones_indexed(library, tmp_path):
    from helpers.hostile_corpus import make_hostile_corpus

    corpus = make_hostile_corpus(tmp_path / "hostile")
    problems = []
    changes = library.index([str(tmp_path / "hostile")], on_problem=problems.append)
    indexed = {p.path for p in library.photos()}
    assert {str(p) for p in corpus.good} <= indexed
    reported = {p.path for p in problems}
    for path in corpus.bad:
        assert str(path) in reported, f"{path} was not reported"
        assert str(path) not in indexed
    assert len(reported) == len(problems), "a problem was reported twice"
    assert not changes.cancelled


def test_shared_photos_index_with_sizes_and_dates(library, shared_photos, shared_labels):
    changes, _ = index(library, shared_photos)
    assert len(changes.added) == len(shared_labels) and not changes.problems
    for photo in library.photos():
        label = shared_labels[photo.name]
        assert (photo.width, photo.height) == (label["width"], label["height"])
        assert photo.taken_at.year >= 1990


def test_roundabout_paths_name_the_same_photos(library, tmp_path):
    photos = write_photos(tmp_path / "p", 6, seed=8)
    roundabout = tmp_path / "p" / ".." / "p"
    first, _ = index(library, roundabout)
    again, _ = index(library, roundabout)
    assert len(first.added) == 6 and again.is_empty
    query = str(roundabout / photos[0][0].name)
    assert str(photos[0][0]) not in [h.photo.path for h in library.similar(query, k=5)]


def test_without_a_model_photos_are_listed_then_embedded_when_it_comes(library, tmp_path):
    photos = write_photos(tmp_path / "p", 12, seed=9)
    scanned = library.index([str(tmp_path / "p")], embed=False)
    assert len(scanned.added) == 12 and not library.embedder.is_loaded
    listed = library.photos()
    assert len(listed) == 12 and all(p.width > 0 for p in listed)
    assert [p.taken_at for p in listed] == sorted((p.taken_at for p in listed), reverse=True)
    assert library.status()["photos_without_vectors"] == 12
    assert library.search_text("a red circle", k=5) == []
    progress = []
    embedded = library.index([str(tmp_path / "p")], progress=progress.append)
    assert sorted(embedded.updated) == sorted(str(path) for path, _ in photos)
    assert progress[-1].embedded == 12 and progress[-1].total == 12
    assert library.status()["photos_without_vectors"] == 0
    assert len(library.search_text("a red circle", k=5)) == 5


def test_a_scan_without_a_model_keeps_vectors_of_moved_photos(library, tmp_path):
    write_photos(tmp_path / "lib" / "trip", 6, seed=10)
    index(library, tmp_path / "lib")
    os.rename(tmp_path / "lib" / "trip", tmp_path / "lib" / "holiday")
    changes = library.index([str(tmp_path / "lib")], embed=False)
    assert len(changes.added) == 6 and library.status()["photos_without_vectors"] == 0


def test_photos_indexed_before_cameras_were_read_get_them_from_the_next_run(library, tmp_path):
    """As after the schema 3 -> 4 upgrade: null camera and position columns are read from
    EXIF by the next run (no re-embedding), and camera:/near: find those photos again."""
    from helpers.geotagged import write_geotagged

    kinds = write_geotagged(tmp_path / "trips", per_kind=3)
    index(library, tmp_path / "trips")
    library.store._table.update(values_sql={"camera": "NULL", "latitude": "NULL", "longitude": "NULL"})
    library.close_store()
    assert library.search("a shape camera:pixel", 20, include_weaker=True).hits == ()
    changes, progress = index(library, tmp_path / "trips")
    assert changes.is_empty and progress is None  # no photo decoded or embedded again
    by_path = {p.path: p for p in library.photos()}
    assert {by_path[p].camera for p in kinds.paris} == {"Google Pixel 7"}
    assert {by_path[p].camera for p in kinds.plain} == {""}  # read: none there
    assert all(by_path[p].location is None for p in kinds.broken + kinds.plain)
    found = library.search("a shape near:paris", 20, include_weaker=True).hits
    assert {h.photo.path for h in found} == set(kinds.paris)
    assert library.store.paths_without_details([str(tmp_path / "trips")]) == []

"""The survey of a run (what is new, changed or gone) in this process and in a child one."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pyarrow as pa
import pytest

from photofinder.indexing import indexer
from photofinder.indexing.survey import survey, survey_in_child_process
from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos


def stats_of(files: dict[str, tuple[int, int]]) -> pa.Table:
    return pa.table({"path": list(files), "size": pa.array([s for s, _ in files.values()], pa.int64()),
                     "mtime_ns": pa.array([m for _, m in files.values()], pa.int64())})


@pytest.fixture
def folder(tmp_path):
    """Four photo files and an empty one, against an index that knows three of them and
    one that is gone: one unchanged, one edited, one new, one vanished, one problem."""
    root = tmp_path / "photos"
    root.mkdir()
    for name in ("same.jpg", "edited.jpg", "new.jpg"):
        (root / name).write_bytes(b"\xff\xd8 not decoded by a survey " + name.encode())
    (root / "empty.jpg").touch()
    same, edited = os.stat(root / "same.jpg"), os.stat(root / "edited.jpg")
    indexed = {str(root / "same.jpg"): (same.st_size, same.st_mtime_ns),
               str(root / "edited.jpg"): (edited.st_size + 1, edited.st_mtime_ns),
               str(root / "gone.jpg"): (10, 10)}
    return root, stats_of(indexed)


def check(found, problems, root):
    assert sorted(s.path for s in found.todo) == [str(root / "edited.jpg"), str(root / "new.jpg")]
    assert found.indexed == {str(root / "edited.jpg")}
    assert found.vanished == [str(root / "gone.jpg")]
    assert [(p.path, p.reason) for p in problems] == [(str(root / "empty.jpg"), "empty file")]


def test_survey_finds_new_changed_and_vanished_files(folder):
    root, stats = folder
    problems = []
    check(survey([str(root)], [], stats, problems.append), problems, root)


def test_a_child_process_finds_the_same(folder):
    root, stats = folder
    problems = []
    found = survey_in_child_process([str(root)], [], stats, problems.append, threading.Event())
    check(found, problems, root)


def test_a_child_sends_many_files_in_chunks(tmp_path):
    for i in range(5000):
        (tmp_path / f"{i}.jpg").write_bytes(b"x")
    stats = stats_of({str(tmp_path / f"{i}.jpg"): (1, 0) for i in range(2500, 7500)})
    found = survey_in_child_process([str(tmp_path)], [], stats, print, threading.Event())
    assert len(found.todo) == 5000 and len(found.indexed) == 2500 and len(found.vanished) == 2500
    assert found == survey([str(tmp_path)], [], stats, print)


def test_a_failing_child_leaves_the_survey_to_the_caller(folder):
    root, _ = folder
    wrong = pa.table({"name": ["a"]})  # no path column: the child fails
    problems = []
    assert survey_in_child_process([str(root)], [], wrong, problems.append, threading.Event()) is None
    assert problems == []  # the caller's own survey reports them, once


def test_cancel_stops_the_child(folder):
    root, stats = folder
    cancel = threading.Event()
    cancel.set()
    found = survey_in_child_process([str(root)], [], stats, print, cancel)
    assert found.todo == [] and found.vanished == []


def test_indexing_with_a_child_survey_adds_updates_and_removes(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr(indexer, "CHILD_SURVEY_ROWS", 1)
    library = Library()
    photos = write_photos(tmp_path / "p", 6, seed=4)
    first = library.index([str(tmp_path / "p")], survey_in_child=True)
    assert len(first.added) == 6  # an empty index: surveyed here
    photos[0][0].unlink()
    photos[1][0].write_bytes(photos[2][0].read_bytes() + b"\0")
    changes = library.index([str(tmp_path / "p")], survey_in_child=True)
    assert changes.removed == (str(photos[0][0]),)
    assert changes.updated == (str(photos[1][0]),) and changes.added == ()
    assert library.store.count() == 5


def test_a_child_that_cannot_start_leaves_the_survey_to_the_caller(folder, monkeypatch):
    def no_process(self):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", no_process)
    root, stats = folder
    assert survey_in_child_process([str(root)], [], stats, print, threading.Event()) is None

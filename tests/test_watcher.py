"""Watching library folders: new, changed, deleted, moved and half-copied files."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from photofinder.library import Library
from photofinder.user_data import LibraryFolder
from photofinder.watcher import FolderWatcher
from photofinder_testing.tinymodel.shapes import write_photos


def wait_until(condition, timeout: float = 20.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def library(tiny_model, tmp_path):
    library = Library()
    library.add_folder(tmp_path / "lib") if (tmp_path / "lib").mkdir() is None else None
    library.load_model()
    return library


@pytest.fixture
def watching(library, tmp_path):
    changes = []
    watcher = FolderWatcher(library, on_changes=changes.append, settle_seconds=0.5)
    watcher.start()
    yield watcher, changes
    watcher.stop()


def paths_in_index(library) -> set[str]:
    return {p.path for p in library.photos()}


def test_new_changed_and_deleted_files_follow_the_disk(library, watching, tmp_path):
    watcher, _ = watching
    photos = write_photos(tmp_path / "lib" / "new", 12, seed=21)
    wait_until(lambda: len(paths_in_index(library)) == 12 and watcher.is_idle())
    photos[0][0].unlink()
    photos[1][0].write_bytes(photos[2][0].read_bytes())
    wait_until(lambda: len(paths_in_index(library)) == 11 and watcher.is_idle())
    assert paths_in_index(library) == {str(p) for p, _ in photos[1:]}
    np.testing.assert_array_equal(library.store.vector_of(str(photos[1][0])),
                                  library.store.vector_of(str(photos[2][0])))


def test_moved_folder_keeps_vectors_and_is_right_quickly(library, tmp_path):
    write_photos(tmp_path / "lib" / "trip", 200, seed=22)
    library.index()
    before = {os.path.basename(p.path): library.store.vector_of(p.path) for p in library.photos()}
    watcher = FolderWatcher(library, settle_seconds=0.5)
    watcher.start()
    try:
        os.rename(tmp_path / "lib" / "trip", tmp_path / "lib" / "holiday")
        moved = {str(tmp_path / "lib" / "holiday" / name) for name in before}
        seconds = wait_until(lambda: paths_in_index(library) == moved and watcher.is_idle())
    finally:
        watcher.stop()
    assert seconds < 5, f"a 200-photo folder move took {seconds:.1f} s to show"
    for photo in library.photos():
        np.testing.assert_array_equal(library.store.vector_of(photo.path),
                                      before[os.path.basename(photo.path)])


def test_half_copied_file_is_indexed_only_when_whole(library, watching, tmp_path):
    watcher, _ = watching
    source = write_photos(tmp_path / "outside", 1, seed=23)[0][0].read_bytes()
    target = tmp_path / "lib" / "copying.jpg"
    problems = []
    watcher.on_problem = problems.append
    with open(target, "wb") as out:
        for start in range(0, len(source), len(source) // 4 + 1):
            out.write(source[start:start + len(source) // 4 + 1])
            out.flush()
            time.sleep(0.3)  # a slow copy: each piece lands before the file is quiet
    wait_until(lambda: str(target) in paths_in_index(library) and watcher.is_idle())
    assert problems == []


def test_polled_folder_is_followed_without_native_events(library, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    watcher = FolderWatcher(library, [LibraryFolder(str(share), poll=True)], settle_seconds=0.3,
                            poll_seconds=0.3)
    watcher.start()
    try:
        write_photos(share, 5, seed=24)
        wait_until(lambda: len(paths_in_index(library)) == 5 and watcher.is_idle())
    finally:
        watcher.stop()


def test_burst_of_copies_and_deletes_is_batched_and_exact(library, watching, tmp_path):
    watcher, changes = watching
    originals = write_photos(tmp_path / "outside", 400, seed=25)
    shutil.copytree(tmp_path / "outside", tmp_path / "lib" / "burst")
    wait_until(lambda: len(paths_in_index(library)) == 400 and watcher.is_idle(), timeout=60)
    for path, _ in originals[:150]:
        os.unlink(tmp_path / "lib" / "burst" / path.name)
    wait_until(lambda: len(paths_in_index(library)) == 250 and watcher.is_idle(), timeout=60)
    assert watcher.batches <= 12, f"{watcher.batches} batches for two bursts"


def test_without_the_model_changed_files_are_listed_not_retried(tmp_path, monkeypatch):
    import socket

    from photofinder.errors import DownloadError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", f"http://127.0.0.1:{port}")  # offline
    monkeypatch.setenv("no_proxy", "*")
    (tmp_path / "lib").mkdir()
    library = Library()
    library.add_folder(tmp_path / "lib")
    with pytest.raises(DownloadError):
        library.load_model()
    assert library.embedder.weights_failure.startswith("cannot download")
    watcher = FolderWatcher(library, settle_seconds=0.5)
    watcher.start()
    try:
        write_photos(tmp_path / "lib", 3, seed=31)
        wait_until(lambda: len(paths_in_index(library)) == 3 and watcher.is_idle())
    finally:
        watcher.stop()
    assert library.store.count_without_vectors() == 3

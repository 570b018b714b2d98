"""A forget that lasts: excluded folders and forgotten photos stay out of index, watch and restarts."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from photofinder.library import Library
from photofinder.watcher import FolderWatcher
from photofinder_testing.tinymodel.shapes import write_photos


def wait_until(condition, timeout: float = 30.0) -> None:
    import time

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def indexed(library) -> set[str]:
    return {p.path for p in library.photos()}


@pytest.fixture
def library_folder(tmp_path):
    root = tmp_path / "lib"
    write_photos(root / "keep", 6, seed=1)
    write_photos(root / "private", 6, seed=2)
    return root


def test_a_forgotten_folder_and_photo_stay_out_after_index_watch_and_restart(
        tiny_model, library_folder):
    library = Library()
    library.add_folder(library_folder)
    library.index()
    private = library_folder / "private"
    single = sorted((library_folder / "keep").iterdir())[0]
    assert library.forget(private) == 6 and library.forget(single) == 1
    kept = indexed(library)
    assert len(kept) == 5 and not any(p.startswith(str(private)) for p in kept)

    library.index()  # a full rescan
    assert indexed(library) == kept

    renamed = single.with_name("renamed.png")
    single.rename(renamed)  # a forgotten photo under another name is still forgotten
    watcher = FolderWatcher(library, settle_seconds=0.3)
    watcher.start()
    try:
        write_photos(private / "more", 3, seed=3)
        write_photos(library_folder / "keep" / "more", 2, seed=4)
        wait_until(lambda: len(indexed(library)) == 7 and watcher.is_idle())
    finally:
        watcher.stop()
    assert not any(p.startswith(str(private)) for p in indexed(library))
    assert str(renamed) not in indexed(library)

    restarted = Library()  # a new process would read the same user store
    restarted.index()
    assert indexed(restarted) == indexed(library)
    assert set(restarted.left_out()) == {str(private), str(single), str(renamed)}

    assert restarted.include(private) and restarted.include(renamed)
    restarted.index()
    assert len(indexed(restarted)) == 7 + 9 + 1


def photofinder(*args: str, code: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "photofinder", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stderr[-2000:]
    return result


def test_exclude_folders_remove_from_the_command_line(tiny_model, library_folder, tmp_path):
    photofinder("index", str(library_folder))
    private = library_folder / "private"
    assert json.loads(photofinder("exclude", str(private), "--json").stdout) == {"removed": 6}
    assert json.loads(photofinder("index", str(library_folder), "--json").stdout)["photos"] == 6
    listing = json.loads(photofinder("folders", "--json").stdout)
    assert listing == {"folders": [{"path": str(library_folder), "poll": False}],
                       "excluded": [str(private)], "forgotten": []}

    outside = photofinder("exclude", str(tmp_path), code=2)
    assert outside.stderr.strip().endswith("is not inside a library folder")
    shutil.rmtree(private)  # excluded folders need not exist
    assert "6 photos left the library" in photofinder("remove", str(library_folder)).stdout
    assert json.loads(photofinder("status", "--json").stdout)["photos"] == 0
    assert json.loads(photofinder("folders", "--json").stdout)["folders"] == []
    missing = photofinder("remove", str(library_folder), code=2)
    assert "not a library folder" in missing.stderr

"""One writer per library: the lock across real processes, and writers that lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from photofinder.config import Paths
from photofinder_testing.tinymodel.shapes import write_photos
from photofinder.writer_lock import writer_lock

HOLDER = """
import sys
from pathlib import Path
from photofinder.writer_lock import writer_lock
with writer_lock(Path(sys.argv[1])).held():
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_second_process_waits_for_the_lock_and_gets_it_once_released(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        acquired = threading.Event()

        def take() -> None:
            with writer_lock(tmp_path).held():
                acquired.set()

        taker = threading.Thread(target=take)
        taker.start()
        assert not acquired.wait(0.5)  # the other process holds it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert acquired.wait(30)
        taker.join()
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_reentrant_within_a_process_and_freed_by_a_dead_holder(tmp_path):
    lock = writer_lock(tmp_path)
    assert writer_lock(tmp_path) is lock
    with lock.held(), lock.held():  # nested holds (settings saved inside a commit) do not wait
        pass
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()  # a crash: the OS lets go of the lock
    holder.wait()
    with lock.held():
        pass


def _photofinder(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "photofinder", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _status() -> dict:
    out = subprocess.run([sys.executable, "-m", "photofinder", "status", "--json"],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return json.loads(out)


@pytest.mark.slow
def test_two_index_processes_and_a_watcher_lose_no_folder_and_no_row(tiny_model, tmp_path):
    first, second, watched = tmp_path / "first", tmp_path / "second", tmp_path / "watched"
    write_photos(first, 60, seed=1)
    write_photos(second, 60, seed=2)
    write_photos(watched, 5, seed=3)
    watcher = _photofinder("watch", str(watched))
    try:
        indexers = [_photofinder("index", str(first), "--json"),
                    _photofinder("index", str(second), "--json")]
        late = write_photos(watched / "new", 20, seed=4)  # arrives while both index
        for process in indexers:
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, err[-2000:]
        expected = {str(p) for folder in (first, second, watched) for p in folder.rglob("*.jpg")}
        assert len(expected) == 145 and str(late[0][0]) in expected
        deadline = time.monotonic() + 120
        while _status()["photos"] < len(expected) and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        watcher.terminate()
        watcher.communicate(timeout=60)

    from photofinder.library import Library

    library = Library()
    assert sorted(library.folders()) == sorted(map(str, (first, second, watched)))
    paths = [p.path for p in library.photos()]
    assert len(paths) == len(set(paths))  # no duplicate row
    assert set(paths) == expected  # no lost row
    assert os.path.exists(Paths.from_environment().index / "writer.lock")

"""SIGKILL at random moments, during indexing and during bursts of file events.

After every kill the table must open, hold no duplicate and no row without its
file; after a restart it must equal the photos on disk exactly.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos

INDEX_ROUNDS = 10
WATCH_ROUNDS = 10


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "photofinder", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


def rows_are_consistent(folder: Path) -> list[str]:
    """No duplicate rows and no row whose file is gone; returns the indexed paths."""
    paths = [p.path for p in Library().photos()]
    duplicates = [p for p, n in Counter(paths).items() if n > 1]
    assert not duplicates, f"duplicate rows after a kill: {duplicates[:3]}"
    return paths


def index_to_completion(folder: Path) -> set[str]:
    finished = start("index", str(folder))
    _, stderr = finished.communicate(timeout=300)
    assert finished.returncode == 0, stderr.decode()[-2000:]
    return set(rows_are_consistent(folder))


def photos_on_disk(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*.jpg")}


@pytest.mark.slow
def test_sigkill_during_indexing_loses_nothing(tiny_model, tmp_path):
    folder = tmp_path / "photos"
    write_photos(folder, 600, seed=11)
    rng = random.Random(7)
    counts = []
    for _ in range(INDEX_ROUNDS):
        process = start("index", str(folder))
        time.sleep(rng.uniform(1.5, 6.0))  # start-up (imports, model) is part of the window
        kill(process)
        counts.append(len(rows_are_consistent(folder)))
    assert counts == sorted(counts), f"a kill lost committed rows: {counts}"
    assert index_to_completion(folder) == photos_on_disk(folder)


@pytest.mark.slow
def test_sigkill_during_bursts_of_file_events(tiny_model, tmp_path):
    folder = tmp_path / "library"
    source = tmp_path / "camera"
    write_photos(source, 150, seed=12)
    write_photos(folder / "base", 50, seed=13)
    index_to_completion(folder)
    rng = random.Random(8)
    for round_number in range(WATCH_ROUNDS):
        watcher = start("watch", str(folder))
        time.sleep(rng.uniform(2.0, 4.0))
        burst = folder / f"burst-{round_number}"
        shutil.copytree(source, burst)  # 150 new photos at once
        if round_number % 2:
            shutil.rmtree(folder / f"burst-{round_number - 1}")  # and 150 deleted
        else:
            os.rename(folder / "base", folder / f"base-{round_number}")  # and a folder moved
            os.rename(folder / f"base-{round_number}", folder / "base")
        time.sleep(rng.uniform(0.0, 3.0))
        kill(watcher)
        rows_are_consistent(folder)
    assert index_to_completion(folder) == photos_on_disk(folder)

"""Live library: how fast the watcher brings the index in line with the disk.

In one run, each against a baseline measured in the same run:
  burst  N small photos copied into a watched folder at once, then deleted:
         file-system events/s the watcher receives, and photos/s until the index
         equals the disk, against a plain Library.index() of the same files;
  move   a folder of M indexed photos renamed inside the watched root: seconds from
         the rename until every row is at its new path with its old vector and no
         photo went through the model, against indexing the M from scratch.
The tiny trained model keeps inference cheap, so the watcher's own costs show.
"Right" is the index state the grid refreshes from on each commit callback.

Each round runs on fresh folders; the best of the rounds (least time, watcher and
baseline separately) is printed last, as other work on the machine only adds time.

    python benchmarks/bench_watch.py [--photos 2000] [--move 1000] [--settle 1.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from photofinder.config import Paths, Settings
from photofinder.embedder import ModelSpec
from photofinder.library import Library
from photofinder.records import SearchFilter
from photofinder_testing.tinymodel import MODEL_NAME, register_config
from photofinder_testing.tinymodel.shapes import write_photos
from photofinder_testing.tinymodel.train import ensure_trained
from photofinder.watcher import SETTLE_SECONDS, FolderWatcher

MODELS = Path(os.environ.get("PHOTOFINDER_TEST_CACHE",
                             Path(__file__).resolve().parents[1] / ".cache" / "test-models"))
TIMEOUT = 300.0


@dataclass(frozen=True)
class Step:
    """One change on disk, how the watcher saw it, and its baseline (all seconds)."""

    name: str
    photos: int
    on_disk: float  # the copy, delete or rename itself
    events: int
    last_event: float  # from the start of the change
    right: float  # from the start of the change until the index matches the disk
    baseline: float

    def row(self) -> str:
        rate = self.events / max(self.last_event, 1e-6)
        return (f"{self.name:8} {self.photos:6d} {self.on_disk:7.2f} {self.events:7d} {rate:9.0f} "
                f"{self.last_event:9.2f} {self.right:8.2f} {self.right - self.last_event:11.2f} "
                f"{self.photos / self.right:9.1f} {self.baseline:10.2f} "
                f"{self.baseline / self.right:6.2f}")


HEADER = (f"{'':8} {'photos':>6} {'disk s':>7} {'events':>7} {'events/s':>9} {'last ev s':>9} "
          f"{'right s':>8} {'quiet+work':>11} {'photos/s':>9} {'baseline s':>10} {'ratio':>6}")


def new_library(home: Path, weights: Path) -> Library:
    library = Library(Paths(home, home), Settings(), ModelSpec(MODEL_NAME, "", str(weights)))
    library.load_model()
    return library


def count_embedded(library: Library) -> list[int]:
    """Counts the photos the model sees: every image path ends in embed_tensors."""
    counter = [0]
    embed = library.embedder.embed_tensors

    def counting(batch):
        counter[0] += len(batch)
        return embed(batch)

    library.embedder.embed_tensors = counting
    return counter


class EventClock:
    """Counts the paths the watcher's events name, and when the last one came."""

    def __init__(self, watcher: FolderWatcher):
        self.count, self.last = 0, 0.0
        self._lock = threading.Lock()
        touch = watcher.dirty.touch

        def counting(path: str) -> None:
            with self._lock:
                self.count, self.last = self.count + 1, time.perf_counter()
            touch(path)

        watcher.dirty.touch = counting

    def reset(self) -> None:
        with self._lock:
            self.count, self.last = 0, 0.0


def wait_until(condition, started: float) -> float:
    """Seconds from ``started`` until ``condition`` holds (polled every 20 ms)."""
    while not condition():
        if time.perf_counter() - started > TIMEOUT:
            raise TimeoutError(f"index not right after {TIMEOUT:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - started


def timed_index(library: Library) -> float:
    """Seconds for Library.index(), run off the main thread as the window and the watcher
    run it (on the main thread torch's spinning OpenMP team slowed it up to 8x on 2 CPUs)."""
    worker = threading.Thread(target=library.index)
    started = time.perf_counter()
    worker.start()
    worker.join()
    return time.perf_counter() - started


def watched_burst(tmp: Path, weights: Path, source: Path, settle: float) -> list[tuple]:
    """Copy ``source`` into a watched folder, then delete the copy; per step:
    (name, seconds on disk, events, last event s, right s)."""
    root = tmp / "watched"
    root.mkdir(parents=True)
    library = new_library(tmp / "home-watch", weights)
    library.add_folder(root)
    count = len(os.listdir(source))
    watcher = FolderWatcher(library, settle_seconds=settle)
    events = EventClock(watcher)
    watcher.start()
    steps = []
    try:
        for name, change, wanted in (
                ("copy in", lambda: shutil.copytree(source, root / "burst"), count),
                ("delete", lambda: shutil.rmtree(root / "burst"), 0)):
            events.reset()
            started = time.perf_counter()
            change()
            on_disk = time.perf_counter() - started
            right = wait_until(lambda: watcher.is_idle() and library.store.count() == wanted,
                               started)
            steps.append((name, on_disk, events.count, events.last - started, right))
            if wanted:
                assert {p.path for p in library.photos()} == {
                    str(p) for p in (root / "burst").iterdir()}
    finally:
        watcher.stop()
    return steps


def baseline_index(tmp: Path, weights: Path, source: Path) -> tuple[float, float]:
    """Seconds for a plain Library.index() to add a copy of ``source``, and to sweep
    the rows away once the files are deleted."""
    # In a subfolder: an empty library folder is taken for an unmounted drive, photos kept.
    folder = shutil.copytree(source, tmp / "baseline" / "photos")
    library = new_library(tmp / "home-baseline", weights)
    library.add_folder(folder.parent)
    add = timed_index(library)
    for photo in folder.iterdir():
        photo.unlink()
    delete = timed_index(library)
    assert library.store.count() == 0
    return add, delete


def burst(tmp: Path, weights: Path, source: Path, settle: float) -> list[Step]:
    count = len(os.listdir(source))
    watched = watched_burst(tmp, weights, source, settle)
    return [Step(name, count, disk, events, last, right, base)
            for (name, disk, events, last, right), base
            in zip(watched, baseline_index(tmp, weights, source))]


def assert_moved(before: dict, after: dict, new: Path) -> None:
    """Every photo (keyed by fingerprint) is now under ``new`` with the very same vector."""
    assert len(after) == len(before)
    for fp, (photo, vector) in before.items():
        moved, moved_vector = after[fp]
        assert moved.path == str(new / os.path.basename(photo.path))
        assert (moved_vector == vector).all()


def all_rows(store) -> dict:
    """fingerprint -> (photo, vector) of every stored photo."""
    return store.rows_by_fingerprint([p.fingerprint for p in store.photos()])


def move(tmp: Path, weights: Path, count: int, settle: float) -> Step:
    """Index ``count`` photos (the baseline: from scratch), then rename their folder."""
    root = tmp / "moves"
    old, new = root / "trip", root / "holiday"
    write_photos(old, count, seed=42)
    library = new_library(tmp / "home-move", weights)
    library.add_folder(root)
    scratch = timed_index(library)
    store = library.store
    before = all_rows(store)
    assert len(before) == count
    embedded = count_embedded(library)
    watcher = FolderWatcher(library, settle_seconds=settle)
    events = EventClock(watcher)
    watcher.start()
    try:
        started = time.perf_counter()
        os.rename(old, new)
        on_disk = time.perf_counter() - started
        right = wait_until(lambda: watcher.is_idle() and store.count() == count
                           and store.count(SearchFilter(folders=(str(new),))) == count, started)
    finally:
        watcher.stop()
    assert store.count() == count and embedded[0] == 0, f"{embedded[0]} photos re-embedded"
    assert_moved(before, all_rows(store), new)
    return Step("move", count, on_disk, events.count, events.last - started, right, scratch)


def best(rounds: list[list[Step]]) -> list[Step]:
    """Per step, the round the watcher was fastest in, with the fastest baseline."""
    steps = []
    for same in zip(*rounds):
        fastest = min(same, key=lambda s: s.right)
        steps.append(replace(fastest, baseline=min(s.baseline for s in same)))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000, help="photos in the burst")
    parser.add_argument("--move", type=int, default=1000, help="photos in the moved folder")
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                        help="quiet time before a path is indexed (the watcher's default)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    register_config()
    weights = ensure_trained(MODELS)
    print(f"tiny model {weights.name}, {os.cpu_count()} CPUs, settle {args.settle} s; "
          "baseline: Library.index() of the same files (move: indexing them from scratch); "
          "ratio = baseline s / right s; quiet+work = right s - last ev s")
    print(HEADER)
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        write_photos(source, args.photos, seed=41)
        for number in range(args.rounds):
            folder = Path(tmp) / f"round-{number}"
            steps = [*burst(folder, weights, source, args.settle),
                     move(folder, weights, args.move, args.settle)]
            print("\n".join(s.row() for s in steps), flush=True)
            rounds.append(steps)
    print("best of", args.rounds)
    print("\n".join(s.row() for s in best(rounds)))
    print("move: every row at its new path with an identical vector, no photo embedded")


if __name__ == "__main__":
    main()

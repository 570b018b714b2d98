"""Keeps the index in step with library folders while photofinder runs.

File-system events (watchdog; polling for folders where native events do not
arrive, such as network shares) only mark paths as dirty. A single updater
thread waits until a path has been quiet and its size has stopped changing (a
file still being copied is not indexed half-written), then indexes every
settled path in one batch. So a burst of 10,000 events becomes a few batches,
and a moved folder becomes one run that reuses every vector by fingerprint.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, Sequence

from photofinder.config import absolute_path
from photofinder.errors import PhotofinderError
from photofinder.records import FileProblem, IndexChanges
from photofinder.user_data import LibraryFolder

log = logging.getLogger("photofinder.watch")

SETTLE_SECONDS = 1.0  # a path must be quiet this long before it is indexed
RECENT_SECONDS = 10.0  # an unreadable file written this recently may still be arriving
POLL_SECONDS = 5.0  # how often polled folders are compared with the disk
MAX_BATCH = 5000  # paths per indexing run, so a huge burst still shows progress


class _DirtyPaths:
    """Paths touched by events, with when they were last touched and their last size."""

    def __init__(self):
        self._lock = threading.Lock()
        self._touched: dict[str, tuple[float, tuple[int, int] | None]] = {}
        self.wakeup = threading.Event()

    def touch(self, path: str) -> None:
        with self._lock:
            self._touched[path] = (time.monotonic(), _size_and_mtime(path))
        self.wakeup.set()

    def take_settled(self, settle: float) -> list[str]:
        """Remove and return the paths that have been quiet and unchanged for ``settle`` s."""
        now = time.monotonic()
        settled = []
        with self._lock:
            for path, (touched, seen) in list(self._touched.items()):
                if now - touched < settle:
                    continue
                current = _size_and_mtime(path)
                if current != seen:  # still growing: a copy in progress
                    self._touched[path] = (now, current)
                    continue
                settled.append(path)
                del self._touched[path]
                if len(settled) >= MAX_BATCH:
                    break
        return settled

    def __len__(self) -> int:
        with self._lock:
            return len(self._touched)


def _size_and_mtime(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class FolderWatcher:
    """Watches library folders and indexes what changes in them, in batches."""

    def __init__(self, library, folders: Sequence[LibraryFolder] | None = None,
                 on_changes: Callable[[IndexChanges], None] | None = None,
                 on_problem: Callable[[FileProblem], None] | None = None,
                 settle_seconds: float = SETTLE_SECONDS, poll_seconds: float = POLL_SECONDS):
        self.library = library
        self.folders = list(folders if folders is not None else library.library_folders())
        self.on_changes = on_changes
        self.on_problem = on_problem
        self.settle_seconds = settle_seconds
        self.poll_seconds = poll_seconds
        self.dirty = _DirtyPaths()
        self._stop = threading.Event()
        self._observers: list = []
        self._updater: threading.Thread | None = None
        self._busy = threading.Event()
        self._reported: set[tuple[str, str, tuple[int, int] | None]] = set()
        self.batches = 0

    def start(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = _EventHandler(self.dirty)
        native, polling = Observer(), PollingObserver(timeout=self.poll_seconds)
        for folder in self.folders:
            if not os.path.isdir(folder.path):
                log.warning("not watching %s: folder not found (offline?)", folder.path)
                continue
            observer = polling if folder.poll else native
            try:
                observer.schedule(handler, folder.path, recursive=True)
            except OSError as exc:  # e.g. inotify watch limit reached: fall back to polling
                log.warning("native watching failed for %s (%s); polling it", folder.path, exc)
                polling.schedule(handler, folder.path, recursive=True)
        self._observers = [o for o in (native, polling) if o.emitters]
        for observer in self._observers:
            observer.daemon = True
            observer.start()
        self._updater = threading.Thread(target=self._update_loop, name="pf-watch", daemon=True)
        self._updater.start()

    def stop(self) -> None:
        self._stop.set()
        self.dirty.wakeup.set()
        for observer in self._observers:
            observer.stop()
        for observer in self._observers:
            observer.join(timeout=5)
        if self._updater:
            self._updater.join(timeout=30)

    def is_idle(self) -> bool:
        """No event waiting and no batch running: the index matches what was seen."""
        return len(self.dirty) == 0 and not self._busy.is_set()

    def _update_loop(self) -> None:
        while not self._stop.is_set():
            self.dirty.wakeup.wait(timeout=self.settle_seconds / 2)
            self.dirty.wakeup.clear()
            self._busy.set()  # before the paths leave the dirty set: is_idle() must not lie
            settled = self.dirty.take_settled(self.settle_seconds)
            if settled and not self._stop.is_set():
                self._index(settled)
            self._busy.clear()

    def _index(self, paths: list[str]) -> None:
        try:
            changes = self.library.index(paths, cancel=self._stop, on_problem=self._problem,
                                         forget_missing=True,
                                         embed=self.library.embedder.weights_failure is None)
            self.batches += 1
            log.info("watch batch of %d paths: %d added, %d updated, %d removed", len(paths),
                     len(changes.added), len(changes.updated), len(changes.removed))
            if self.on_changes and not changes.is_empty:
                self.on_changes(changes)
        except PhotofinderError as exc:  # a full disk, a read-only index: tell the user
            log.warning("indexing %d changed paths failed: %s", len(paths), exc)
            if self.on_problem:
                where = os.path.commonpath(paths) if len(paths) > 1 else paths[0]
                self.on_problem(FileProblem(where, f"changes not indexed: {exc}"))
        except Exception:  # a failed batch must not stop the watching
            log.exception("indexing %d changed paths failed", len(paths))


    def _problem(self, problem: FileProblem) -> None:
        """A file written seconds ago that does not decode is most likely still being
        copied (pauses longer than the settle time happen): look again later. A file
        that stays bad is passed on once, not again with every change in its folder."""
        stat = _size_and_mtime(problem.path)
        if stat is not None and time.time() - stat[1] / 1e9 < RECENT_SECONDS:
            log.info("%s is not readable yet (%s); retrying", problem.path, problem.reason)
            self.dirty.touch(problem.path)
            return
        known = (problem.path, problem.reason, stat)
        if known not in self._reported:
            self._reported.add(known)
            if self.on_problem:
                self.on_problem(problem)


class _EventHandler:
    """watchdog handler: marks the paths an event names as dirty, nothing more."""

    def __init__(self, dirty: _DirtyPaths):
        self.dirty = dirty

    def dispatch(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.dirty.touch(os.fsdecode(path))


def watch_forever(library, folders: Sequence[str], stop: threading.Event | None = None,
                  on_changes: Callable[[IndexChanges], None] | None = None,
                  on_problem: Callable[[FileProblem], None] | None = None,
                  on_watching: Callable[[], None] | None = None) -> None:
    """``photofinder watch``: index what changed while closed, then follow events
    (``on_watching`` says when)."""
    stop = stop or threading.Event()
    entries = [LibraryFolder(absolute_path(f), poll=_should_poll(library, f)) for f in folders]
    watcher = FolderWatcher(library, entries, on_changes=on_changes, on_problem=on_problem)
    library.index(list(folders), on_problem=watcher._problem)  # known-bad files: named once
    watcher.start()
    if on_watching:
        on_watching()
    try:
        stop.wait()
    finally:
        watcher.stop()


def _should_poll(library, folder: str) -> bool:
    absolute = absolute_path(folder)
    return any(f.poll for f in library.library_folders() if f.path == absolute)

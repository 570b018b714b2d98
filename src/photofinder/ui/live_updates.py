"""Live updates: photos added, edited, moved or deleted on disk while the window is open.

The core's FolderWatcher does the watching and indexing in its own threads;
this turns its callbacks into a queued signal. It starts once the start-up
rescan is over, restarts when the library's folders change, and stops with
the window.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui.watch")


class LiveUpdates(QObject):
    """Owns the FolderWatcher of the window's library."""

    changed = Signal(object)  # IndexChanges from the watcher thread

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._messages = messages
        self._watcher = None
        self._starting = None  # (watcher, started event) while a worker starts it
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._watcher is not None

    def restart(self) -> None:
        """Watch the library's current folders. Starting a watcher walks every folder to
        add its watches (0.2 s for 100 folders), and stopping one joins its threads, so
        both happen in workers."""
        from photofinder.watcher import FolderWatcher

        old, self._watcher = self._watcher, None
        if old is not None:
            self._stop_in_worker(old, None)
        if self._starting is not None:  # superseded before it was running
            self._stop_in_worker(*self._starting)
            self._starting = None
        if self._stopped or not self._library.folders():  # a late signal after closing
            return
        watcher = FolderWatcher(self._library, on_changes=self.changed.emit,
                                on_problem=self._messages.problem)
        started = threading.Event()
        self._starting = (watcher, started)
        worker = Worker(_start, watcher, started)
        worker.returned.connect(lambda error: self._on_started(watcher, error))
        worker.errored.connect(self._messages.error)
        worker.start()

    def _on_started(self, watcher, error: OSError | None) -> None:
        if self._starting is None or self._starting[0] is not watcher:
            return  # stopped or superseded meanwhile; whoever did that stops it
        self._starting = None
        if error is not None:  # e.g. the system's watch limit: the window works without
            self._messages.warning(f"Not following changes on disk: {error.strerror or error}")
            return
        self._watcher = watcher
        log.info("watching %d folders for changes", len(self._library.folders()))

    def _stop_in_worker(self, watcher, started: threading.Event | None) -> None:
        worker = Worker(_stop, watcher, started)
        worker.errored.connect(self._messages.error)
        worker.start()

    def stop(self) -> None:
        """Stop watching and wait for a batch in progress (the window is closing)."""
        self._stopped = True
        if self._starting is not None:
            _stop(*self._starting)
            self._starting = None
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None


def _start(watcher, started: threading.Event) -> OSError | None:
    try:
        watcher.start()
    except OSError as exc:
        return exc
    finally:
        started.set()
    return None


def _stop(watcher, started: threading.Event | None) -> None:
    if started is not None:
        started.wait(timeout=30)  # a watcher half started cannot be stopped cleanly
    watcher.stop()

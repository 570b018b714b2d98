"""Live updates: photos added, edited, moved or deleted on disk while the window is open.

The core's FolderWatcher does the watching and indexing in its own threads;
this turns its callbacks into a queued signal. It starts once the start-up
rescan is over, restarts when the library's folders change, and stops with
the window.
"""

from __future__ import annotations

import logging

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
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._watcher is not None

    def restart(self) -> None:
        """Watch the library's current folders; the old watcher winds down in a worker."""
        from photofinder.watcher import FolderWatcher

        old, self._watcher = self._watcher, None
        if old is not None:
            worker = Worker(old.stop)
            worker.errored.connect(self._messages.error)
            worker.start()
        if self._stopped or not self._library.folders():  # a late signal after closing
            return
        watcher = FolderWatcher(self._library, on_changes=self.changed.emit,
                                on_problem=self._messages.problem)
        try:
            watcher.start()
        except OSError as exc:  # e.g. the system's watch limit: the window still works without
            self._messages.warning(f"Not following changes on disk: {exc.strerror or exc}")
            return
        self._watcher = watcher
        log.info("watching %d folders for changes", len(self._library.folders()))

    def stop(self) -> None:
        """Stop watching and wait for a batch in progress (the window is closing)."""
        self._stopped = True
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

"""Notices library folders going offline and coming back, without blocking the window.

Every few seconds a worker asks whether each library folder's root is there. A
hung network mount may take long to answer, so while one check runs no other
starts, and the GUI thread never waits for one. ``returned`` names each folder
that came back (to rescan and watch it again), then ``changed`` carries the new
set of offline folders (to repaint the grids and the folder panel).
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, QTimer, Signal

from photofinder.presence import offline_folders
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui.presence")

CHECK_MS = 3000


class FolderPresence(QObject):
    """Which of the library's folders are offline, as last seen."""

    returned = Signal(str)  # a folder that was offline is back
    changed = Signal(frozenset)  # the offline folders, after any change

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._messages = messages
        self.offline: frozenset[str] = frozenset()
        self._checking = False
        self._timer = QTimer(self, interval=CHECK_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._timer.start()
        self.check()

    def stop(self) -> None:
        """The window is closing: start no more checks (one in flight is ignored)."""
        self._timer.stop()

    def check(self) -> None:
        if self._checking or not self._timer.isActive():
            return
        self._checking = True
        worker = Worker(offline_folders, self._library.folders())
        worker.returned.connect(self._on_checked)
        worker.errored.connect(self._on_failed)
        worker.start()

    def _on_checked(self, offline: frozenset[str]) -> None:
        self._checking = False
        if not self._timer.isActive():
            return
        offline &= frozenset(self._library.folders())  # a folder removed during the check
        if offline == self.offline:
            return
        gone, back = offline - self.offline, self.offline - offline
        self.offline = offline
        for folder in sorted(gone):
            self._messages.warning(f"{_name(folder)} is offline: its photos are kept, dimmed, "
                                   "until it is connected again")
        for folder in sorted(back & frozenset(self._library.folders())):
            self._messages.info(f"{_name(folder)} is back online")
            self.returned.emit(folder)
        self.changed.emit(offline)

    def _on_failed(self, exc: BaseException) -> None:
        self._checking = False
        self._messages.error(exc, "checking which folders are connected")


def _name(folder: str) -> str:
    return os.path.basename(folder) or folder

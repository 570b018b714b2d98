"""Keeps the library grid's model in step with the index, and changes the library's folders.

The first read of the index opens LanceDB (heavy imports), so it runs in a
worker after the window is shown. Indexing commits are applied as they come;
when a run ends the index is read again and the model synced to it without a
reset. Folder counts are recomputed at most twice a second.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

from photofinder.errors import PhotofinderError
from photofinder.photo_order import PhotoOrder
from photofinder.ui.gui_thread_tuning import freeze_long_lived
from photofinder.ui.photo_model import LibraryListing, LibraryModel, ShownPhotos, count_below
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui")

COUNTS_DELAY_MS = 500


class LibraryController(QObject):
    """The library as the window shows it."""

    loaded = Signal()  # the first read of the index is in the model
    folders_changed = Signal(dict)  # folder -> photo count, in library order
    folder_removed = Signal(str)

    def __init__(self, library, model: LibraryModel, messages, parent=None,
                 order: PhotoOrder = PhotoOrder.DATE):
        super().__init__(parent)
        self._library = library
        self.model = model
        self._order = order
        self._messages = messages
        self.is_loaded = False
        self._stopped = False
        self._reading = False
        self._read_again = False
        self._counts_timer = QTimer(self, singleShot=True, interval=COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self.update_counts)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._counts_soon)

    @property
    def reading(self) -> bool:
        return self._reading

    def folders(self) -> list[str]:
        return self._library.folders()

    def start(self) -> None:
        """Show the folders at once; with none the library is empty and the index is not even
        opened, else the caller starts the read (``reload``) when it suits."""
        if self._library.folders():
            self.folders_changed.emit(dict.fromkeys(self.folders()))
        else:
            self.is_loaded = True
            self.loaded.emit()
            self.update_counts()

    def reload(self) -> None:
        """Read the index again (in a worker); the latest read wins, none run twice at once."""
        if self._stopped:
            return
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        worker = Worker(self._read, self.model.shown(), self._order)
        worker.returned.connect(self._on_read)
        worker.errored.connect(self._on_read_failed)
        worker.start()

    def set_order(self, order: PhotoOrder) -> None:
        """Show the library in ``order`` (sorted in a worker, then shown from the top)."""
        if order is not self._order:
            self._order = order
            if self.is_loaded:
                self.reload()

    def _read(self, shown: ShownPhotos, order: PhotoOrder):
        started = time.perf_counter()
        listing = LibraryListing.of(self._library.photos(), shown, order)
        return listing, time.perf_counter() - started

    def _on_read(self, result) -> None:
        listing, seconds = result
        self._reading = False
        if listing.order is not self._order:  # the order changed while it was read
            self._read_again = True
        elif self.is_loaded and listing.order is self.model.order:
            self.model.sync(listing)
        else:
            self.model.set_library(listing)
            if not self.is_loaded:
                self.is_loaded = True
                log.info("library read: %d photos in %.0f ms", len(listing.photos), seconds * 1000)
                self.loaded.emit()
        freeze_long_lived()  # the listing lives until the next read
        self.update_counts()
        if self._read_again:
            self._read_again = False
            self.reload()

    def _on_read_failed(self, exc: BaseException) -> None:
        self._reading = False
        self._read_again = False
        self._messages.error(exc, "reading the library")

    def apply_commit(self, changed: list, removed: list[str]) -> None:
        """New photos appear in the grid as soon as their batch is committed."""
        if changed:
            self.model.upsert(changed)
        if removed:
            self.model.remove_paths(removed)

    def add_folder(self, path: str) -> str | None:
        """Add a folder to the library (settings only: quick); None when it is no folder."""
        try:
            folder = self._library.add_folder(path)
        except PhotofinderError as exc:
            self._messages.warning(f"Cannot add {path}: {exc}")
            return None
        self.update_counts()
        return folder

    def remove_folder(self, folder: str) -> None:
        """Forget a folder and its photos (the files stay); the index is changed in a worker."""
        self.model.remove_below(folder)
        worker = Worker(self._library.remove_folder, folder)
        worker.returned.connect(lambda removed: self._on_removed(folder, removed))
        worker.errored.connect(self._messages.error)
        worker.start()

    def _on_removed(self, folder: str, removed: int) -> None:
        self._messages.info(f"Removed {folder} from the library ({removed:,} photos; files untouched)")
        self.update_counts()
        self.folder_removed.emit(folder)

    def _counts_soon(self, *_args) -> None:
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def update_counts(self) -> None:
        """Count each folder's photos in a worker (a loop over every path)."""
        self._counts_timer.stop()
        if self._stopped:
            return
        if not self.folders():
            self.folders_changed.emit({})
            return
        worker = Worker(count_below, self.model.paths(), self.folders())
        worker.returned.connect(self._on_counted)
        worker.errored.connect(self._messages.error)
        worker.start()

    def _on_counted(self, counts: dict[str, int]) -> None:
        if not self._stopped and list(counts) == self.folders():
            self.folders_changed.emit(counts)

    def stop(self) -> None:
        """The window is closing: start nothing new."""
        self._stopped = True
        self._counts_timer.stop()

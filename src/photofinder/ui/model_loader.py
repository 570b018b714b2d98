"""Readies search once, in a worker, and tells whoever waits for it.

Ready means the text encoder (the saved numpy text tower, or else the whole
model, which may be downloaded first: ``download_progress`` drives the dialog)
and the vectors in memory. Searching and indexing both wait for it, so the
start-up rescan never competes with the first search for the cores.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

from photofinder.errors import DownloadCancelled, PhotofinderError
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui")


class ModelLoader(QObject):
    """The model's state as the window sees it: idle, loading, ready or failed."""

    loading = Signal()
    ready = Signal()
    failed = Signal(str)  # one plain line: what went wrong and what to do
    download_progress = Signal(object, object)  # bytes done, total bytes or None

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._messages = messages
        self._cancel = threading.Event()
        self._worker: Worker | None = None
        self._stopped = False
        self._prepared = False  # the text encoder and the vectors are in memory
        self.error: str | None = None

    @property
    def is_ready(self) -> bool:
        return self._prepared and self._library.embedder.is_ready_for_text

    @property
    def is_loading(self) -> bool:
        return self._worker is not None

    def ensure_loaded(self) -> None:
        """Start loading unless it is loaded or loading; always answer with a signal later."""
        if self.is_ready or self.is_loading or self._stopped:
            return
        self._cancel.clear()
        self.error = None
        self._worker = Worker(self._load)
        self._worker.returned.connect(self._on_loaded)
        self._worker.errored.connect(self._on_failed)
        self._worker.start()
        self.loading.emit()

    def cancel(self) -> None:
        """Stop a download; the partial file is kept, so the next try resumes."""
        self._cancel.set()

    def stop(self) -> None:
        """The window is closing: stop a download, start nothing new."""
        self._stopped = True
        self._cancel.set()

    def _load(self) -> float:
        started = time.perf_counter()
        self._library.prepare_search(progress=self.download_progress.emit, cancel=self._cancel.is_set)
        return time.perf_counter() - started

    def _on_loaded(self, seconds: float) -> None:
        self._worker = None
        self._prepared = True
        log.info("search ready in %.1f s", seconds)
        self.ready.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._worker = None
        if isinstance(exc, DownloadCancelled):
            self.error = "The model download was cancelled; search and indexing need it."
        elif isinstance(exc, PhotofinderError):
            self.error = str(exc)
        else:
            self._messages.error(exc, "loading the model")
            self.error = "The model could not be loaded: an unexpected error (see its details)."
        log.warning("model not loaded: %s", self.error)
        self.failed.emit(self.error)

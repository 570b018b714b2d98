"""Readies search once, in a worker, and tells whoever waits for it.

Ready means the text encoder (the saved numpy text tower, or else the whole
model, which may be downloaded first: ``download_progress`` drives the dialog)
and the vectors in memory. Searching and indexing both wait for it, so the
start-up rescan never competes with the first search for the cores; while a
download runs or after it failed, indexing lists the photos without vectors.

A failure is final until the user acts (``retry``, ``use_file``): typing a query
never starts the download again, nor brings its error back.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal

from photofinder.errors import OFFLINE_HINT, DownloadCancelled, IndexDamaged, PhotofinderError
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui")


class ModelLoader(QObject):
    """The model's state as the window sees it: idle, loading, downloading, paused, ready
    or failed."""

    loading = Signal()
    ready = Signal()
    failed = Signal(str)  # one plain line: what went wrong and what to do
    download_progress = Signal(object, object)  # bytes done, total bytes or None
    download_started = Signal()  # the first bytes: a long wait begins
    checking_file = Signal(str)  # a weights file the user chose is being checked

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._messages = messages
        self._cancel = threading.Event()
        self._worker: Worker | None = None
        self._stopped = False
        self._prepared = False  # the text encoder and the vectors are in memory
        self.error: str | None = None
        self.source = None  # weights.WeightsSource of a failed download: the file to get
        self.paused = False
        self.downloading = False
        self.download_progress.connect(self._on_download_progress)

    @property
    def is_ready(self) -> bool:
        return self._prepared and self._library.embedder.is_ready_for_text

    @property
    def is_loading(self) -> bool:
        return self._worker is not None

    @property
    def is_failed(self) -> bool:
        """Failed, cancelled or paused, and waiting for the user."""
        return self.error is not None and not self.is_loading

    def waiting_reason(self) -> str:
        """What search waits for, in a sentence for the results area."""
        if self.paused:
            return "Search waits for the model: its download is paused."
        if self.is_failed:
            return f"Search waits for the model. {self.error}"
        if self.downloading:
            return "Search starts as soon as the model is downloaded…"
        return "Loading the search model…"

    def ensure_loaded(self) -> None:
        """Start loading unless it is loaded, loading or failed (the user decides what comes
        after a failure); answers with a signal later."""
        if self.is_ready or self.is_loading or self._stopped or self.is_failed:
            return
        self._start(self._load)

    def retry(self) -> None:
        """Try again (or resume a paused download: the partial file is kept)."""
        if not self.is_loading and not self._stopped:
            self._start(self._load)

    def use_file(self, path: str) -> None:
        """Check a weights file the user fetched by hand, then load the model from it."""
        if self.is_loading or self._stopped:
            return
        self.checking_file.emit(path)
        self._start(self._install_and_load, path)

    def pause(self) -> None:
        """Stop a download and keep what came, for ``retry`` to resume."""
        if self.is_loading:
            self.paused = True
            self._cancel.set()

    def cancel(self) -> None:
        """Stop a download; the partial file is kept, so a later try resumes."""
        self.paused = False
        self._cancel.set()

    def stop(self) -> None:
        """The window is closing: stop a download, start nothing new."""
        self._stopped = True
        self._cancel.set()

    def _start(self, work, *args) -> None:
        self._cancel.clear()
        self.error = None
        self.paused = False
        self._worker = Worker(work, *args)
        self._worker.returned.connect(self._on_loaded)
        self._worker.errored.connect(self._on_failed)
        self._worker.start()
        self.loading.emit()

    def _load(self) -> float:
        started = time.perf_counter()
        self._library.prepare_search(progress=self.download_progress.emit, cancel=self._cancel.is_set)
        return time.perf_counter() - started

    def _install_and_load(self, path: str) -> float:
        self._library.embedder.install_weights_file(path, cancel=self._cancel.is_set)
        return self._load()

    def _on_download_progress(self, _done, _total) -> None:
        if not self.downloading:
            self.downloading = True
            self.download_started.emit()

    def _on_loaded(self, seconds: float) -> None:
        self._worker = None
        self._prepared = True
        self.downloading = False
        self.source = None
        log.info("search ready in %.1f s", seconds)
        self.ready.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._worker = None
        self.downloading = False
        self.source = getattr(exc, "source", None) or self.source
        if isinstance(exc, DownloadCancelled):
            self.error = ("The model download is paused." if self.paused else
                          "The model download was cancelled; search and indexing need it.")
        elif isinstance(exc, IndexDamaged):  # the model is fine: the window offers repair
            self._messages.error(exc)
            self.error = str(exc)
        elif isinstance(exc, PhotofinderError):  # the window offers a file chooser instead
            self.error = str(exc).replace(OFFLINE_HINT, "").strip()
        else:
            self._messages.error(exc, "loading the model")
            self.error = "The model could not be loaded: an unexpected error (see its details)."
        log.warning("model not loaded: %s", self.error)
        self.failed.emit(self.error)

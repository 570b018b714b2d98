"""Indexing in the background, with pause, resume and cancel.

``Library.index`` blocks, so it runs in a worker; its callbacks come from the
indexing thread and are turned into queued signals. Pausing cancels the run
and resuming starts a new one: unchanged files are skipped, so it carries on
where it stopped. Folders asked for while a run is busy are indexed next.

A model switch is a run too (``Library.switch_model``): it re-embeds every
photo into the new model's table while searches use the old one. It goes
before any other run, so only one run ever writes at a time; pausing and
resuming it carries on where it stopped, and a rescan follows it, to catch
what changed on disk meanwhile.

Without the model (downloading, or the download failed) a run only lists photos:
they are browsable at once, stored without vectors, and the run that follows the
model's arrival embeds them.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum

from PySide6.QtCore import QObject, QTimer, Signal

from photofinder.embedder import ModelSpec
from photofinder.errors import PhotofinderError
from photofinder.records import IndexChanges
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui.index")


RELEASE_AFTER_MS = 60_000  # idle indexing frees the image model after this


class IndexState(Enum):
    IDLE = "idle"
    WAITING = "waiting for the model"
    RUNNING = "running"
    LISTING = "listing photos until the model is there"
    SWITCHING = "re-indexing for another model"
    REPAIRING = "repairing the index"
    PAUSED = "paused"


class IndexController(QObject):
    """Owns the indexing runs of the window's library."""

    state_changed = Signal(object)  # IndexState
    progress = Signal(object)  # IndexProgress
    committed = Signal(list, list)  # new or changed photos, removed paths
    finished = Signal(object)  # IndexChanges of the whole run
    switched = Signal(object)  # the ModelSpec the library now searches with
    switch_failed = Signal(str)  # why the model was not changed, in one line
    repaired = Signal(object)  # the RepairReport of a finished repair

    def __init__(self, library, loader, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._loader = loader
        self._messages = messages
        self.state = IndexState.IDLE
        self._wanted: set[str] | None = set()  # folders to index next; None means all
        self._cancel = threading.Event()
        self._running = False
        self._stopped = False
        self._current: list[str] | None = None  # folders of the run in progress
        self.switching_to: ModelSpec | None = None  # the model to switch to, next or now
        self._listed_without_model = False  # photos were stored without vectors
        self._repair_wanted = False
        # The image model is freed once indexing has been idle this long: a camera import
        # the watcher sees as many small runs does not load it again for each one.
        self._release = QTimer(self, singleShot=True, interval=RELEASE_AFTER_MS)
        self._release.timeout.connect(self._release_model)
        loader.ready.connect(self._on_model_ready)
        loader.failed.connect(self._on_model_failed)
        loader.download_started.connect(self._on_model_failed)  # a long wait: list meanwhile

    @property
    def busy(self) -> bool:
        return self.state in (IndexState.RUNNING, IndexState.SWITCHING, IndexState.WAITING,
                              IndexState.LISTING, IndexState.REPAIRING)

    def request(self, folders: list[str] | None = None) -> None:
        """Index these folders (None: every library folder) as soon as possible."""
        if folders is None or self._wanted is None:
            self._wanted = None
        else:
            self._wanted.update(folders)
        if self.state == IndexState.IDLE and not self._running:
            self._start_next()

    def switch_model(self, spec: ModelSpec) -> None:
        """Re-embed the library with ``spec``, then search with it (the latest choice wins).
        A run in progress stops: the switch scans everything anyway."""
        self.switching_to = spec
        self._wanted = None
        if self.state == IndexState.PAUSED:
            self._set_state(IndexState.IDLE)
        if self._running:
            self._cancel.set()  # the switch starts when the run has stopped
        else:
            self._start_next()

    def repair(self) -> None:
        """Mend a damaged index (``photofinder.repair``) as the next run: the one writer."""
        self._repair_wanted = True
        if self.state == IndexState.PAUSED:
            self._set_state(IndexState.IDLE)
        if self._running:
            self._cancel.set()
        else:
            self._start_next()

    def pause(self) -> None:
        """Stop the run but remember its folders, to carry on with them on resume."""
        if self._running:
            self._cancel.set()
            self.request(self._current)
        self._set_state(IndexState.PAUSED)

    def resume(self) -> None:
        if self.state == IndexState.PAUSED:
            self._set_state(IndexState.IDLE)
            self._start_next()

    def cancel(self) -> None:
        """Stop now and forget what was still to do (a rescan picks it up); a model
        switch is abandoned, and search keeps the current model."""
        self._wanted = set()
        if self.switching_to is not None:
            self.switching_to = None
            self._messages.info("Model switch cancelled: search keeps using the current model")
        if self._running:
            self._cancel.set()
        self._set_state(IndexState.IDLE)

    def stop(self) -> None:
        """The window is closing: cancel, and start nothing new."""
        self._stopped = True
        self._release.stop()
        self.cancel()

    def _start_next(self) -> None:
        if self._stopped or self._running or self.state == IndexState.PAUSED:
            return
        if self._library.read_only:  # nothing can be written: nothing is queued either
            self._wanted, self._repair_wanted, self.switching_to = set(), False, None
            return
        if self.switching_to is not None:
            self._start_switch(self.switching_to)
            return
        if self._repair_wanted:  # before the loader: it fails on a damaged index
            self._start_repair()
            return
        if self._wanted == set():
            return
        embed = self._loader.is_ready
        if not embed and not (self._loader.is_failed or self._loader.downloading):
            self._set_state(IndexState.WAITING)
            self._loader.ensure_loaded()
            return
        roots, self._wanted = self._wanted, set()
        if roots is not None:
            roots = sorted(r for r in roots if r in self._library.folders())
            if not roots:
                self._set_state(IndexState.IDLE)
                return
        self._cancel = threading.Event()
        self._running = True
        self._current = roots
        self._listed_without_model |= not embed
        worker = Worker(self._run, roots, self._cancel, embed)
        worker.returned.connect(self._on_finished)
        worker.errored.connect(self._on_error)
        worker.start(background=True)
        self._set_state(IndexState.RUNNING if embed else IndexState.LISTING)

    def _start_switch(self, spec: ModelSpec) -> None:
        self._cancel = threading.Event()
        self._running = True
        self._current = None
        worker = Worker(self._switch, spec, self._cancel)
        worker.returned.connect(self._on_switch_done)
        worker.errored.connect(self._on_switch_error)
        worker.start(background=True)
        self._set_state(IndexState.SWITCHING)

    def _switch(self, spec: ModelSpec, cancel: threading.Event) -> tuple[ModelSpec, bool]:
        """The switching thread: new vectors go to the new model's table, then it takes over."""
        return spec, self._library.switch_model(spec, progress=self.progress.emit, cancel=cancel)

    def _on_switch_done(self, result: tuple[ModelSpec, bool]) -> None:
        spec, switched = result
        self._running = False
        log.info("model switch to %s %s", spec, "done" if switched else "stopped")
        if switched:
            if self.switching_to == spec:
                self.switching_to = None
            self._wanted = None  # a rescan catches what changed on disk during the switch
            self.switched.emit(spec)
        self._after_run()

    def _on_switch_error(self, exc: BaseException) -> None:
        self._running = False
        self.switching_to = None
        if isinstance(exc, PhotofinderError):
            log.warning("model not switched: %s", exc)
            self.switch_failed.emit(str(exc))
        else:
            self._messages.error(exc, "switching the model")
            self.switch_failed.emit("An unexpected error stopped it (see its details).")
        self._after_run()

    def _start_repair(self) -> None:
        self._repair_wanted = False
        self._cancel = threading.Event()
        self._running = True
        self._current = None
        worker = Worker(self._repair, self._cancel)
        worker.returned.connect(self._on_repaired)
        worker.errored.connect(self._on_error)
        worker.start(background=True)
        self._set_state(IndexState.REPAIRING)

    def _repair(self, cancel: threading.Event):
        """The repairing thread: the model is loaded here (the loader also reads the
        vectors, which a damaged index cannot give)."""
        from photofinder.repair import repair_index

        self._library.load_model()
        return repair_index(self._library, progress=self.progress.emit, cancel=cancel,
                            on_commit=self._on_commit)

    def _on_repaired(self, report) -> None:
        self._running = False
        self.repaired.emit(report)
        self._after_run()

    def _run(self, roots: list[str] | None, cancel: threading.Event, embed: bool) -> IndexChanges:
        """The indexing thread: callbacks become signals. A big library is compared with
        the disk in a child process, so the window's thread keeps the GIL."""
        return self._library.index(roots, progress=self.progress.emit, cancel=cancel,
                                   on_commit=self._on_commit, on_problem=self._messages.problem,
                                   survey_in_child=True, embed=embed)

    def _on_commit(self, changes: IndexChanges) -> None:
        self.committed.emit(list(changes.photos), list(changes.removed))

    def _on_finished(self, changes: IndexChanges) -> None:
        self._running = False
        log.info("indexing %s: %d added, %d updated, %d removed, %d skipped",
                 "stopped" if changes.cancelled else "done", len(changes.added),
                 len(changes.updated), len(changes.removed), len(changes.problems))
        self.finished.emit(changes)
        self._after_run()

    def _on_error(self, exc: BaseException) -> None:
        self._running = False
        self._messages.error(exc, "indexing")
        self._wanted = set()
        self._after_run()

    def _after_run(self) -> None:
        if self.state in (IndexState.RUNNING, IndexState.SWITCHING, IndexState.LISTING,
                          IndexState.REPAIRING):
            self._set_state(IndexState.IDLE)
        if self.state == IndexState.IDLE:
            self._start_next()
        if not self._running and not self._stopped:  # nothing left to index
            self._release.start(RELEASE_AFTER_MS)

    def _release_model(self) -> None:
        if not self._running and not self._stopped:
            Worker(self._library.release_model).start(background=True)

    def _on_model_failed(self, *_args) -> None:
        """No model for a while: list the photos that wait for it meanwhile."""
        if self.state == IndexState.WAITING:
            self._set_state(IndexState.IDLE)
            self._start_next()

    def _on_model_ready(self) -> None:
        """The model is here: photos listed without it get their vectors now."""
        if self._listed_without_model:
            self._listed_without_model = False
            self.request()
        else:
            self._start_next()

    def _set_state(self, state: IndexState) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

"""Background work for the window, after superqt's ``GeneratorWorker``.

A worker runs a function on the global QThreadPool. If the function is a
generator, each value it yields is sent as ``yielded`` and ``quit()`` stops it
between yields. Results and exceptions reach the GUI thread only through
queued signals; an exception is never lost: it becomes ``errored``.
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger("photofinder.ui")

POOL_THREADS = 6  # indexing + model + search + 2 thumbnail loaders + one spare


def thread_pool() -> QThreadPool:
    """The pool every worker runs on; tests check it is idle after each test."""
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < POOL_THREADS:
        pool.setMaxThreadCount(POOL_THREADS)
    return pool


def run_in_pool(target: Callable[[], None]) -> None:
    """Run a plain function on the pool (for loops that report through their own signals)."""
    thread_pool().start(_Runnable(target))


class _Runnable(QRunnable):
    """What the pool runs; the pool owns and deletes it when ``run`` returns."""

    def __init__(self, target: Callable[[], None]):
        super().__init__()
        self._target = target

    def run(self) -> None:
        self._target()


class Worker(QObject):
    """Runs ``fn(*args, **kwargs)`` on the pool; see the module docstring."""

    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception, with its __traceback__
    finished = Signal()

    def __init__(self, fn: Callable[..., Any], *args, **kwargs):
        # Owned by the application object, so that Python never deletes it from
        # the pool thread; it deletes itself on the GUI thread when finished.
        super().__init__(QCoreApplication.instance())
        self._call = (fn, args, kwargs)
        self._quit = threading.Event()

    def start(self) -> "Worker":
        """Run it; connect every slot before this. Calls to Python slots are queued with this
        object as their context, so it may be deleted only after the last of them has run:
        the deletion is connected last, hence queued last."""
        self.finished.connect(self.deleteLater)
        run_in_pool(self._run)
        return self

    def quit(self) -> None:
        """Ask a generator to stop at its next yield."""
        self._quit.set()

    @property
    def quit_requested(self) -> bool:
        return self._quit.is_set()

    def _run(self) -> None:
        fn, args, kwargs = self._call
        try:
            result = fn(*args, **kwargs)
            if inspect.isgenerator(result):
                result = self._drive(result)
        except BaseException as exc:  # noqa: BLE001 - a worker must report everything
            self.errored.emit(exc)
        else:
            self.returned.emit(result)
        finally:
            self.finished.emit()

    def _drive(self, generator) -> Any:
        """Send each yielded value; stop early when asked to quit."""
        try:
            while True:
                if self._quit.is_set():
                    generator.close()
                    return None
                self.yielded.emit(next(generator))
        except StopIteration as stop:
            return stop.value

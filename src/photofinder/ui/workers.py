"""Background work for the window, after superqt's ``GeneratorWorker``.

A worker runs a function on the global QThreadPool, or long work (indexing)
on a pool whose threads run below the window's CPU priority: on two cores,
indexing's decode and inference threads at the window's priority kept the
window waiting for a CPU for up to 100 ms while it scrolled. If the function
is a generator, each value it yields is sent as ``yielded`` and ``quit()``
stops it between yields. Results and exceptions reach the GUI thread only through
queued signals; an exception is never lost: it becomes ``errored``.
"""

from __future__ import annotations

import inspect
import logging
import os
import sys
import threading
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal

log = logging.getLogger("photofinder.ui")

POOL_THREADS = 6  # model + search + reads + one spare
BACKGROUND_THREADS = 2  # indexing or a model switch, and one spare
# Linux nice value of long background work. Threads inherit it: indexing's decode pool,
# its survey process and torch's threads started from it. A thread's priority cannot be
# raised back without privileges, so such work has threads of its own.
BACKGROUND_NICENESS = 10

_background_pool: QThreadPool | None = None


def thread_pool() -> QThreadPool:
    """The pool quick workers run on; tests check it is idle after each test."""
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < POOL_THREADS:
        pool.setMaxThreadCount(POOL_THREADS)
    return pool


def background_pool() -> QThreadPool:
    """The pool of long work, whose threads run below the window's priority."""
    global _background_pool
    if _background_pool is None:
        _background_pool = QThreadPool(QCoreApplication.instance())
        _background_pool.setMaxThreadCount(BACKGROUND_THREADS)
    return _background_pool


def wait_for_pools(msecs: int = -1) -> bool:
    """Wait until no worker runs (at exit: no pool thread may still run Python)."""
    return all([pool.waitForDone(msecs) for pool in (thread_pool(), background_pool())])


def run_below_the_window() -> None:
    """Lower the calling thread's CPU priority to BACKGROUND_NICENESS (for good)."""
    if not sys.platform.startswith("linux"):
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)
        return
    thread = threading.get_native_id()  # Linux gives each thread its own nice value
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) < BACKGROUND_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread, BACKGROUND_NICENESS)
    except OSError as exc:  # a sandbox may forbid it: the work still runs, at full priority
        log.debug("thread priority unchanged: %s", exc)


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

    def start(self, background: bool = False) -> "Worker":
        """Run it, ``background`` work below the window's priority; connect every slot before
        this. Calls to Python slots are queued with this object as their context, so it may
        be deleted only after the last of them has run: the deletion is connected last,
        hence queued last."""
        self.finished.connect(self.deleteLater)
        if background:
            background_pool().start(_Runnable(self._run_below_the_window))
        else:
            thread_pool().start(_Runnable(self._run))
        return self

    def _run_below_the_window(self) -> None:
        run_below_the_window()
        self._run()

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

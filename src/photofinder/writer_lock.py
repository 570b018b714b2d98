"""One writer per library at a time, across processes: an OS file lock in the data folder.

The window, ``index``, ``watch`` and ``serve`` may run side by side on one library.
Each holds this lock while it writes the settings (a read-modify-write of the
file, so two processes adding folders both keep theirs) and while it commits a
batch to the index (so a path check and its insert see the same table). The lock
is held for one commit at a time, so two indexing processes take turns batch by
batch rather than one waiting for the other to finish.

The OS releases the lock when a process dies, so a crash never leaves it held.
Within a process the lock is re-entrant (a thread lock counts the holds), since
an OS lock on a second descriptor of the same file would wait for itself.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger("photofinder.lock")

LOCK_FILE = "writer.lock"

_registry_lock = threading.Lock()
_locks: dict[str, "WriterLock"] = {}


class WriterLock:
    """The lock of one library (its index folder); get it with ``writer_lock``."""

    def __init__(self, path: Path):
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._file = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._release()

    def _acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")
        try:
            if not _try_lock(handle):
                log.info("another photofinder is writing this library; waiting for it")
                _lock(handle)
        except BaseException:
            handle.close()
            raise
        self._file = handle

    def _release(self) -> None:
        handle, self._file = self._file, None
        try:
            _unlock(handle)
        finally:
            handle.close()


def writer_lock(index_dir: Path) -> WriterLock:
    """The one WriterLock object of this process for the library whose index is ``index_dir``."""
    key = os.path.abspath(index_dir)
    with _registry_lock:
        if key not in _locks:
            _locks[key] = WriterLock(Path(key) / LOCK_FILE)
        return _locks[key]


if os.name == "nt":
    import msvcrt

    def _try_lock(handle) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _lock(handle) -> None:
        while not _try_lock(handle):  # LK_LOCK gives up after 10 s; keep waiting
            threading.Event().wait(0.05)

    def _unlock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _lock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock(handle) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

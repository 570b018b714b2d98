"""One channel for everything the window tells its user (after qutebrowser's message module).

Routine problems (``PhotofinderError``) become short status messages; skipped
files go to the Issues panel; anything else is a bug and opens the error
dialog. Every method may be called from any thread: signals are queued.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtCore import QObject, Signal

from photofinder.errors import IndexDamaged, PhotofinderError
from photofinder.records import FileProblem

log = logging.getLogger("photofinder.ui")


class Messages(QObject):
    """The window's single message channel."""

    shown = Signal(str)  # a short status-bar line
    file_problem = Signal(object)  # FileProblem, listed in the Issues panel
    bug = Signal(str, str)  # summary, details (a traceback)
    damaged = Signal(str)  # the index is damaged: what, in one line (the window offers repair)

    def info(self, text: str) -> None:
        log.info("%s", text)
        self.shown.emit(text)

    def warning(self, text: str) -> None:
        log.warning("%s", text)
        self.shown.emit(text)

    def problem(self, problem: FileProblem) -> None:
        self.file_problem.emit(problem)

    def error(self, exc: BaseException, doing: str = "") -> None:
        """Report an exception: routine ones briefly, bugs with their traceback."""
        prefix = f"{doing}: " if doing else ""
        if isinstance(exc, IndexDamaged):
            self.damaged.emit(str(exc))
        if isinstance(exc, PhotofinderError):
            self.warning(f"{prefix}{exc}")
            return
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("unexpected error %s\n%s", prefix, details)
        self.bug.emit(f"{prefix}{type(exc).__name__}: {exc}", details)

"""Starts the window: logging, exception hooks, the application object, signals.

Nothing heavy (torch, open_clip, LanceDB) is imported here: the window must be
on screen within a second or so, and the library is read by a worker after.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QMimeData, QObject, QSocketNotifier, QUrl
from PySide6.QtWidgets import QApplication

from photofinder.ui.crash import install_exception_hooks
from photofinder.ui.gui_thread_tuning import tune_for_gui
from photofinder.ui.logs import install_qt_message_handler, setup_logging
from photofinder.ui.messages import Messages
from photofinder.ui.resources import app_icon
from photofinder.ui.workers import wait_for_pools

log = logging.getLogger("photofinder.ui")


def run_app(argv: Sequence[str] | None = None) -> int:
    """Open the window; ``argv`` may name images (a similar search) or folders (added)."""
    started = time.perf_counter()
    tune_for_gui()
    from photofinder.config import Paths

    paths = Paths.from_environment()
    log_file = setup_logging(paths.logs)
    install_qt_message_handler()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("photofinder")
    app.setDesktopFileName("photofinder")
    app.setWindowIcon(app_icon())
    messages = Messages()
    restore_hooks = install_exception_hooks(messages)
    try:
        window = _open_window(paths, messages, str(log_file), started, list(argv or []))
        with _quit_on_signals(window.close):
            code = app.exec()
        wait_for_pools()  # no pool thread may still run Python while it shuts down
        del window  # its pixmaps must go while the application object still exists
    finally:
        restore_hooks()
    log.info("window closed; exit code %d", code)
    return code


def _open_window(paths, messages: Messages, log_file: str, started: float, argv: list[str]):
    from photofinder.library import Library
    from photofinder.ui.main_window import MainWindow

    window = MainWindow(Library(paths), messages, log_file)

    def shown() -> None:
        since_start = _process_age_ms()
        log.info("window shown in %.0f ms%s", (time.perf_counter() - started) * 1000,
                 f" ({since_start:.0f} ms after the process started)" if since_start else "")
        window.start()
        if argv:
            window.query_input.use(_read_arguments(argv))

    _OnFirstPaint(window, shown)
    window.show()
    return window


def _process_age_ms() -> float | None:
    """How long ago this process started (Linux), so the log covers Python's own start-up."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            uptime = float(up.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return (uptime - started_ticks / os.sysconf("SC_CLK_TCK")) * 1000


def _read_arguments(argv: list[str]):
    """Command-line paths are treated exactly like files dropped on the window."""
    from photofinder.ui.drops import read_drop

    mime = QMimeData()
    mime.setUrls([QUrl.fromUserInput(arg, ".", QUrl.UserInputResolutionOption.AssumeLocalFile)
                  for arg in argv])
    return read_drop(mime)


class _OnFirstPaint(QObject):
    """Calls back once, when the window first paints: it is on screen."""

    def __init__(self, window, callback: Callable[[], None]):
        super().__init__(window)
        self._callback = callback
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self._callback()
        return False


class _quit_on_signals:
    """SIGTERM and SIGINT close the window cleanly, even while Qt's loop waits in C++.

    The signal wakes a socket that Qt watches; the Python handler then runs and
    the window closes as if the user had closed it.
    """

    def __init__(self, close: Callable[[], object]):
        self._close = close
        self._reader, self._writer = socket.socketpair()

    def __enter__(self) -> "_quit_on_signals":
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        return self

    def __exit__(self, *exc_info) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._reader.close()
        self._writer.close()

    def _on_signal(self, number: int, _frame) -> None:
        log.info("signal %s: closing the window", signal.Signals(number).name)
        self._close()

    def _drain(self) -> None:
        try:
            self._reader.recv(64)
        except BlockingIOError:
            pass

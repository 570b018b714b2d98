"""Unexpected exceptions, from any thread, reach the user in a dialog (after calibre's error_dialog).

``install_exception_hooks`` routes ``sys.excepthook`` and ``threading.excepthook``
into the message channel; the window shows ``ErrorDialog`` for each bug.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Callable

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QStyle, QHBoxLayout, QVBoxLayout,
)

from photofinder.ui.messages import Messages

log = logging.getLogger("photofinder.ui")


def install_exception_hooks(messages: Messages) -> Callable[[], None]:
    """Send uncaught exceptions of every thread to ``messages``; returns an undo function."""
    previous_sys, previous_threading = sys.excepthook, threading.excepthook

    def sys_hook(kind, value, traceback) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous_sys(kind, value, traceback)
            return
        messages.error(value.with_traceback(traceback))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            where = f"in thread {args.thread.name}" if args.thread else "in a thread"
            messages.error(args.exc_value.with_traceback(args.exc_traceback), where)

    sys.excepthook, threading.excepthook = sys_hook, thread_hook

    def restore() -> None:
        sys.excepthook, threading.excepthook = previous_sys, previous_threading

    return restore


class ErrorDialog(QDialog):
    """A bug, said plainly, with the details one click away and a copy button."""

    def __init__(self, summary: str, details: str, log_file: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("photofinder: unexpected error")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(40, 40))
        top.addWidget(icon)
        where = f" It was written to the log file {log_file}." if log_file else ""
        text = QLabel(f"<b>Something went wrong that photofinder did not expect.</b><br>{_escape(summary)}"
                      f"<br><br>You can carry on working. Please report it with the details below.{where}")
        text.setWordWrap(True)
        top.addWidget(text, 1)
        layout.addLayout(top)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumHeight(180)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self.copy_details)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

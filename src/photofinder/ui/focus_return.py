"""The keyboard goes back to the window when one of its dialogs closes.

Without a window manager (and with some), a closed dialog left no window active, so the
window's shortcuts (Esc, Ctrl+F, Ctrl+Q) did nothing until it was clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget


class FocusReturn(QObject):
    """Watches the window's dialogs (``watch`` from the window's ``childEvent``)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self._window = window

    def watch(self, child: QObject) -> None:
        if isinstance(child, QDialog):
            child.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Hide:
            QTimer.singleShot(0, self._give_back)  # once the dialog is fully gone
        return False

    def _give_back(self) -> None:
        """Activate the window again, unless another dialog or a menu has the keyboard now;
        Qt then gives focus back to the widget that had it."""
        if (self._window.isVisible() and QApplication.activeModalWidget() is None
                and QApplication.activePopupWidget() is None):
            self._window.activateWindow()

"""Opening a folder in the desktop's file manager, and saying so when that cannot be done.

Qt's ``openUrl`` reports success as soon as ``xdg-open`` starts, even when no file manager
is set up and nothing appears; on Linux ``xdg-open``'s exit code is what tells.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QProcess, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("photofinder.ui")


def open_folder(folder: str, parent: QWidget) -> None:
    """Show ``folder`` in the file manager; a message box names it when that fails."""
    if not sys.platform.startswith("linux"):
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(folder)):
            _cannot_open(folder, "no program is set up to open folders", parent)
        return
    process = QProcess(parent)
    process.setProgram("xdg-open")
    process.setArguments([folder])
    process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)

    def finished(code: int, _status) -> None:
        if code != 0:
            said = bytes(process.readAll()).decode(errors="replace").strip().splitlines()
            _cannot_open(folder, said[-1] if said else f"xdg-open failed (exit code {code})", parent)
        process.deleteLater()

    def failed(error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            _cannot_open(folder, "xdg-open, which opens folders on Linux desktops, is not installed",
                         parent)
            process.deleteLater()

    process.finished.connect(finished)
    process.errorOccurred.connect(failed)
    process.start()


def _cannot_open(folder: str, reason: str, parent: QWidget) -> None:
    log.warning("cannot open %s: %s", folder, reason)
    box = QMessageBox(QMessageBox.Icon.Information, "photofinder: folder not opened",
                      f"The folder could not be opened: {reason}.\n\n{folder}",
                      QMessageBox.StandardButton.Close, parent)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # the path can be copied
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()

"""What can be done with photos in the grid: the context menu and its actions."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QMimeData, QObject, QProcess, QSize, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImage
from PySide6.QtWidgets import QMenu, QWidget

from photofinder.records import Photo
from photofinder.ui.folder_opener import open_folder
from photofinder.ui.preview import read_scaled
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui")

MAX_OPEN = 20  # opening more viewers than this at once is never what was meant
FILE_MANAGER = "org.freedesktop.FileManager1"
MAX_COPY_SIDE = 8192


class PhotoActions(QObject):
    """Builds the context menu for a selection and carries out its actions."""

    find_similar = Signal(list)  # photos to use as the query
    preview = Signal(object)  # the photo to show large

    def __init__(self, messages, parent=None):
        super().__init__(parent)
        self._messages = messages

    def menu(self, photos: list[Photo], parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        many = len(photos) > 1
        menu.addAction("More like these" if many else "Find similar photos",
                       lambda: self.find_similar.emit(photos))
        menu.addSeparator()
        menu.addAction("Preview" if not many else "Preview first", lambda: self.preview.emit(photos[0]))
        menu.addAction(f"Open {len(photos)} photos" if many else "Open",
                       lambda: self.open_photos(photos))
        menu.addAction("Show in folder", lambda: self.show_in_folder(photos))
        menu.addSeparator()
        menu.addAction("Copy paths" if many else "Copy path", lambda: self.copy_paths(photos))
        copy_image = menu.addAction("Copy image", lambda: self.copy_image(photos[0]))
        copy_image.setEnabled(not many)
        return menu

    def open_photos(self, photos: list[Photo]) -> None:
        """Open in the default viewer (the desktop's choice for the file type)."""
        for photo in photos[:MAX_OPEN]:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(photo.path)):
                self._messages.warning(f"No application could open {photo.name}")
        if len(photos) > MAX_OPEN:
            self._messages.info(f"Opened the first {MAX_OPEN} of {len(photos)} photos")

    def show_in_folder(self, photos: list[Photo]) -> None:
        """Show the files selected in the file manager, or at least open their folder."""
        paths = [p.path for p in photos[:MAX_OPEN]]
        if sys.platform == "darwin":
            QProcess.startDetached("open", ["-R", *paths])
        elif sys.platform == "win32":
            QProcess.startDetached("explorer", [f"/select,{os.path.normpath(paths[0])}"])
        elif not _show_items_over_dbus(paths):
            for folder in dict.fromkeys(os.path.dirname(p) for p in paths):
                open_folder(folder, self.parent())

    def copy_paths(self, photos: list[Photo]) -> None:
        """Paths as text, and as file URLs for file managers that paste files."""
        mime = QMimeData()
        mime.setText("\n".join(p.path for p in photos))
        mime.setUrls([QUrl.fromLocalFile(p.path) for p in photos])
        QGuiApplication.clipboard().setMimeData(mime)
        self._messages.info(f"Copied {len(photos)} paths" if len(photos) > 1 else f"Copied {photos[0].path}")

    def copy_image(self, photo: Photo) -> None:
        """Decode in a worker (a big photo takes a moment), then put the pixels on the clipboard."""
        worker = Worker(read_scaled, photo.path, QSize(MAX_COPY_SIDE, MAX_COPY_SIDE))
        worker.returned.connect(lambda image: self._put_image(photo, image))
        worker.errored.connect(self._messages.error)
        worker.start()

    def _put_image(self, photo: Photo, image: QImage) -> None:
        if image.isNull():
            self._messages.warning(f"Cannot copy {photo.name}: the file is unreadable or gone")
            return
        QGuiApplication.clipboard().setImage(image)
        self._messages.info(f"Copied the image {photo.name}")


def _show_items_over_dbus(paths: list[str]) -> bool:
    """Ask the desktop's file manager to select the files (freedesktop FileManager1)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected() or not bus.interface().isServiceRegistered(FILE_MANAGER).value():
        return False
    call = QDBusMessage.createMethodCall(FILE_MANAGER, "/org/freedesktop/FileManager1",
                                         FILE_MANAGER, "ShowItems")
    call.setArguments([[QUrl.fromLocalFile(p).toString() for p in paths], ""])
    return bus.send(call)

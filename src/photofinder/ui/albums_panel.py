"""The side panel's Albums section: favourites, rated photos, manual and smart albums.

Photos dragged from the grid onto a manual album are added to it. The panel only
shows entries and asks; the organize controller does the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QWidget,
)

from photofinder.ui.side_panel import section_layout
from photofinder.units import photo_count

KeyRole = Qt.ItemDataRole.UserRole + 1  # "favourites", ("rated", stars) or an album id
SmartRole = Qt.ItemDataRole.UserRole + 2


class _DropList(QListWidget):
    """A list that takes photos (file URLs) dropped on a manual album."""

    dropped = Signal(int, list)  # album id, paths

    def _album_at(self, event) -> int | None:
        item = self.itemAt(event.position().toPoint())
        if item is None or item.data(SmartRole) or not isinstance(item.data(KeyRole), int):
            return None
        return item.data(KeyRole)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._album_at(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        album = self._album_at(event)
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if album is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.dropped.emit(album, paths)


class AlbumPanel(QWidget):
    chosen = Signal(object)  # the key of the entry clicked
    new_requested = Signal()
    smart_requested = Signal()
    delete_requested = Signal(int)
    photos_dropped = Signal(int, list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = _DropList()
        layout = section_layout(self, "album", "Albums", self.list, top_margin=6)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.itemClicked.connect(lambda item: self.chosen.emit(item.data(KeyRole)))
        self.list.dropped.connect(self.photos_dropped)
        self.list.currentItemChanged.connect(self._update_buttons)
        layout.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("New…")
        self.new_button.setToolTip("A new album; add photos by dragging them onto it")
        self.smart_button = QPushButton("Smart…")
        self.smart_button.setToolTip("A saved search, re-run as photos arrive")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the album (its photos stay)")
        self.new_button.clicked.connect(self.new_requested)
        self.smart_button.clicked.connect(self.smart_requested)
        self.delete_button.clicked.connect(self._delete_current)
        for button in (self.new_button, self.smart_button, self.delete_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_entries(self, entries: list[tuple[object, str, int | None, bool]]) -> None:
        """(key, name, photo count or None, smart) for each entry, in order."""
        self.list.clear()
        for key, name, count, smart in entries:
            detail = "smart album" if smart else photo_count(count)
            item = QListWidgetItem(f"{name}\n{detail}")
            item.setData(KeyRole, key)
            item.setData(SmartRole, smart)
            self.list.addItem(item)
        self._update_buttons()

    def _delete_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and isinstance(item.data(KeyRole), int):
            self.delete_requested.emit(item.data(KeyRole))

    def _update_buttons(self, *_args) -> None:
        item = self.list.currentItem()
        self.delete_button.setEnabled(item is not None and isinstance(item.data(KeyRole), int))

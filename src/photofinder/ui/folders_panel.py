"""The side panel: the library's folders with their photo counts; add, remove, rescan,
exclude a folder inside one (right-click).

An offline folder (its drive unplugged, its share unmounted) is listed as such:
its photos are kept, and it cannot be rescanned until it returns.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton, QStyle, QWidget,
)

from photofinder.units import photo_count
from photofinder.ui.side_panel import section_layout

PathRole = Qt.ItemDataRole.UserRole + 1
OfflineRole = Qt.ItemDataRole.UserRole + 2
OFFLINE_TIP = ("Offline: the folder cannot be reached now (an unplugged drive or an unmounted "
               "share?). Its photos stay in the library, dimmed, and come back when it returns; "
               "only Remove forgets them.")


class FolderPanel(QWidget):
    """Shows folders and asks the window to change them; keeps no state of its own."""

    add_requested = Signal()
    remove_requested = Signal(str)
    rescan_requested = Signal(str)
    exclude_requested = Signal(str)  # asks for a folder inside this library folder to leave out

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        layout = section_layout(self, "folder", "Library folders", self.list, top_margin=0)
        self.list.setUniformItemSizes(True)
        self.list.currentItemChanged.connect(self._update_buttons)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.list, 1)
        self.total = QLabel()
        self.total.setObjectName("dimLabel")
        layout.addWidget(self.total)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add a folder of photos to the library")
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the folder from the library (files stay on disk)")
        self.remove_button.clicked.connect(lambda: self._emit_for_current(self.remove_requested))
        self.rescan_button = QPushButton("Rescan")
        self.rescan_button.setToolTip("Look for new, changed and deleted photos in the folder")
        self.rescan_button.clicked.connect(lambda: self._emit_for_current(self.rescan_requested))
        for button in (self.add_button, self.remove_button, self.rescan_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_folders(self, counts: dict[str, int | None], offline: frozenset[str] = frozenset()) -> None:
        """Show these folders (in this order) with their photo counts (None: not known yet),
        marking the ``offline`` ones."""
        current = self.current_folder()
        self.list.clear()
        folder_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        offline_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for folder, count in counts.items():
            detail = "counting…" if count is None else photo_count(count)
            is_offline = folder in offline
            if is_offline:
                detail = f"offline · {detail}" if count else "offline"
            item = QListWidgetItem(offline_icon if is_offline else folder_icon,
                                   f"{Path(folder).name or folder}\n{detail}")
            item.setToolTip(f"{folder}\n{OFFLINE_TIP}" if is_offline else folder)
            item.setData(PathRole, folder)
            item.setData(OfflineRole, is_offline)
            self.list.addItem(item)
            if folder == current:
                self.list.setCurrentItem(item)
        known = [c for c in counts.values() if c is not None]
        total = sum(known)
        self.total.setText(f"{photo_count(total)} in all" if known else "")
        self._update_buttons()

    def _menu(self, position) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        folder = item.data(PathRole)
        menu = QMenu(self)
        menu.addAction("Rescan", lambda: self.rescan_requested.emit(folder))
        menu.addAction("Exclude a folder inside…", lambda: self.exclude_requested.emit(folder))
        menu.addAction("Remove from library", lambda: self.remove_requested.emit(folder))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.list.viewport().mapToGlobal(position))

    def current_folder(self) -> str | None:
        item = self.list.currentItem()
        return item.data(PathRole) if item else None

    def _emit_for_current(self, signal) -> None:
        folder = self.current_folder()
        if folder:
            signal.emit(folder)

    def _update_buttons(self, *_args) -> None:
        item = self.list.currentItem()
        self.remove_button.setEnabled(item is not None)
        self.rescan_button.setEnabled(item is not None and not item.data(OfflineRole))

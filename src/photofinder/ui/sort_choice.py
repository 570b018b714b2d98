"""View ▸ Sort by: date taken, name or relevance, remembered in the settings.

Browsing and searching each keep their own choice (date taken and relevance by
default): relevance means nothing without a query, and a search should not come
back sorted by name because the library once was.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMenu

from photofinder.config import Settings
from photofinder.errors import QueryError
from photofinder.photo_order import PhotoOrder

LABELS = {PhotoOrder.DATE: "&Date taken", PhotoOrder.NAME: "&Name",
          PhotoOrder.RELEVANCE: "&Relevance"}


def _read(text: str, default: PhotoOrder, allowed) -> PhotoOrder:
    try:
        order = PhotoOrder.parse(text)
    except QueryError:
        return default
    return order if order in allowed else default


class SortChoice(QObject):
    """The menu, and the order each mode uses now."""

    browse_changed = Signal(object)  # PhotoOrder
    search_changed = Signal(object)

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self._settings = settings
        self._searching = False
        self.menu = QMenu("Sort &by")
        self._group = QActionGroup(self)
        self.actions: dict[PhotoOrder, QAction] = {}
        for order, label in LABELS.items():
            action = self.menu.addAction(label)
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, o=order: self.choose(o))
            self._group.addAction(action)
            self.actions[order] = action
        self._show()

    @property
    def browse_order(self) -> PhotoOrder:
        return _read(self._settings.browse_order, PhotoOrder.DATE, (PhotoOrder.DATE, PhotoOrder.NAME))

    @property
    def search_order(self) -> PhotoOrder:
        return _read(self._settings.search_order, PhotoOrder.RELEVANCE, tuple(PhotoOrder))

    def set_searching(self, searching: bool) -> None:
        """The grid shows search results (or the library again): the menu shows that mode's choice."""
        self._searching = searching
        self._show()

    def choose(self, order: PhotoOrder) -> None:
        if self._searching:
            self._settings.search_order = order.value
            self.search_changed.emit(order)
        elif order is not PhotoOrder.RELEVANCE:
            self._settings.browse_order = order.value
            self.browse_changed.emit(order)
        self._show()

    def _show(self) -> None:
        self.actions[PhotoOrder.RELEVANCE].setEnabled(self._searching)
        current = self.search_order if self._searching else self.browse_order
        self.actions[current].setChecked(True)

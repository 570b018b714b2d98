"""Thumbs up and down (✓ ✗) on search results: on the tile under the mouse, and + / - for the
selected tiles. The window stores the rating and searches again, re-ranked."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from photofinder.feedback import BAD, GOOD
from photofinder.ui.photo_model import PhotoRole


class ResultRating(QObject):
    """Watches the results grid; says which photos were rated how."""

    rated = Signal(list, int)  # paths, rating 1-10

    def __init__(self, grid):
        super().__init__(grid)  # lives and dies with the grid it watches
        self._grid = grid
        self._viewport = grid.viewport()
        self._index = QModelIndex()
        self.thumbs = QWidget(grid.viewport())
        self.thumbs.setObjectName("ratingThumbs")
        layout = QHBoxLayout(self.thumbs)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.good = self._button("✓", "A good result: more like this (+)", GOOD)
        self.bad = self._button("✗", "A bad result: fewer like this (-)", BAD)
        layout.addWidget(self.good)
        layout.addWidget(self.bad)
        self.thumbs.hide()
        grid.viewport().installEventFilter(self)
        grid.installEventFilter(self)

    def _button(self, text: str, tip: str, rating: int) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda: self._rate_hovered(rating))
        return button

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.MouseMove, QEvent.Type.Leave, QEvent.Type.KeyPress):
            return False
        if watched is self._viewport and kind == QEvent.Type.MouseMove:
            self.show_on(self._grid.indexAt(event.position().toPoint()))
        elif watched is self._viewport and kind == QEvent.Type.Leave:
            if not self.thumbs.underMouse():
                self.thumbs.hide()
        elif watched is self._grid and kind == QEvent.Type.KeyPress and not event.modifiers() \
                & ~Qt.KeyboardModifier.KeypadModifier:
            rating = {Qt.Key.Key_Plus: GOOD, Qt.Key.Key_Minus: BAD}.get(event.key())
            paths = [p.path for p in self._grid.selected_photos()]
            if rating is not None and paths:
                self.rated.emit(paths, rating)
                return True
        return False

    def show_on(self, index: QModelIndex) -> None:
        """The thumbs on a tile's top right corner (none for no tile)."""
        self._index = index
        if not index.isValid():
            self.thumbs.hide()
            return
        tile = self._grid.visualRect(index)
        self.thumbs.adjustSize()
        self.thumbs.move(tile.right() - self.thumbs.width() - 4, tile.top() + 4)
        self.thumbs.show()
        self.thumbs.raise_()

    def _rate_hovered(self, rating: int) -> None:
        if self._index.isValid():
            photo = self._index.data(PhotoRole)
            if photo is not None:
                self.rated.emit([photo.path], rating)

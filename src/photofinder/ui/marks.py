"""Stars and favourites in the grid: what each tile shows, and the keys that change them.

The marks (a few thousand at most) are read from the user store once, in a worker,
and kept here by path; the grids' models ask for a tile's mark (``MarkRole``) and
the delegate draws it. Changes are written in a worker; the tiles repaint at once.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter

from photofinder.records import Photo
from photofinder.ui.workers import Worker

STAR_COLOUR = QColor(255, 200, 40)
HEART_COLOUR = QColor(235, 64, 90)
SHADOW = QColor(0, 0, 0, 150)


class MarkCache(QObject):
    """(rating, favourite) by path, for painting; the user store stays the truth."""

    changed = Signal(list)  # paths whose marks changed

    def __init__(self, library, messages, parent=None):
        super().__init__(parent)
        self.library = library
        self.messages = messages
        self._marks: dict[str, tuple[int, bool]] = {}

    def load(self) -> None:
        worker = Worker(self.library.user_data.marks)
        worker.returned.connect(self._loaded)
        worker.errored.connect(lambda exc: self.messages.error(exc, "reading ratings"))
        worker.start()

    def _loaded(self, marks: dict) -> None:
        self._marks = {path: (m.rating, m.favourite) for path, m in marks.items()}
        self.changed.emit(list(self._marks))

    def get(self, path: str) -> tuple[int, bool]:
        return self._marks.get(path, (0, False))

    def rate(self, photos: list[Photo], stars: int) -> None:
        self._change(photos, lambda p: (stars, self.get(p.path)[1]))

    def toggle_favourite(self, photos: list[Photo]) -> None:
        """All become favourites, unless all were: then none is."""
        favourite = not all(self.get(p.path)[1] for p in photos)
        self._change(photos, lambda p: (self.get(p.path)[0], favourite))

    def _change(self, photos: list[Photo], new_mark) -> None:
        if not photos:
            return
        marks = {p.path: new_mark(p) for p in photos}
        self._marks.update(marks)
        self.changed.emit(list(marks))
        worker = Worker(_save_marks, self.library, photos, self)
        worker.errored.connect(lambda exc: self.messages.error(exc, "saving ratings"))
        worker.start()


_saving = threading.Lock()


def _save_marks(library, photos: list[Photo], cache: MarkCache) -> None:
    """Write each photo's newest mark: the saves of two quick keys (4, then F) run on the
    pool in either order, and the older one must not undo the newer one (it did)."""
    with _saving:
        for photo in photos:
            rating, favourite = cache.get(photo.path)
            library.user_data.set_rating(photo, rating)
            library.user_data.set_favourite(photo, favourite)


def mark_actions(marks: MarkCache, selected_photos, parent) -> list[QAction]:
    """F toggles favourite, 0-5 set the stars of the selected photos (on the grid only, so
    typing in the search box is never taken for them)."""
    actions = []
    favourite = QAction("Favourite", parent, shortcut=QKeySequence(Qt.Key.Key_F))
    favourite.triggered.connect(lambda: marks.toggle_favourite(selected_photos()))
    actions.append(favourite)
    for stars in range(6):
        act = QAction(f"{stars} stars", parent, shortcut=QKeySequence(str(stars)))
        act.triggered.connect(lambda _=False, s=stars: marks.rate(selected_photos(), s))
        actions.append(act)
    for act in actions:
        act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
    return actions


def paint_mark(painter: QPainter, frame: QRect, mark: tuple[int, bool] | None) -> None:
    """Stars along the bottom right of a tile, a heart at its top right."""
    if not mark or mark == (0, False):
        return
    rating, favourite = mark
    font = QFont(painter.font())
    font.setPointSizeF(max(8.0, font.pointSizeF()))
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    if rating:
        text = "★" * rating
        box = QRect(0, 0, metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
        box.moveBottomRight(frame.bottomRight() + QPoint(-4, -4))
        _badge(painter, box, text, STAR_COLOUR)
    if favourite:
        box = QRect(0, 0, metrics.horizontalAdvance("♥") + 8, metrics.height() + 2)
        box.moveTopRight(frame.topRight() + QPoint(-4, 4))
        _badge(painter, box, "♥", HEART_COLOUR)


def _badge(painter: QPainter, box: QRect, text: str, colour: QColor,
           back: QColor = SHADOW) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(back)
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(colour)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

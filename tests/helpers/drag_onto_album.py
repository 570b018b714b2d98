"""Drags two tiles from the window's grid onto the album "Trip" with real mouse events.

Run in a subprocess under QT_QPA_PLATFORM=minimal: the offscreen platform has no
drag and drop (QDrag.exec returns at once), the minimal one runs Qt's own simple
drag loop. The library in PHOTOFINDER_HOME is indexed already and has the album.
Prints the dragged paths, one a line; exits 1 if nothing was dropped in time.
"""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from photofinder import organizing
from photofinder.library import Library
from photofinder.ui.main_window import MainWindow
from photofinder.ui.messages import Messages

TIMEOUT_S = 60


def wait_until(condition) -> bool:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        QTest.qWait(20)
    return True


def main() -> int:
    app = QApplication(sys.argv)  # noqa: F841 (kept alive)
    library = Library()
    window = MainWindow(library, Messages())
    window.resize(1100, 700)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.start()
    album = next(a for a in library.user_data.albums() if a.name == "Trip")
    entries, grid = window.albums.list, window.content.library_grid
    if not wait_until(lambda: window.library_ctl.model.rowCount() > 2 and entries.count() == 3):
        return 1
    QTest.qWait(200)  # the grid's delayed layout
    handle = window.windowHandle()

    def at(widget, point: QPoint) -> QPoint:  # the window system's events come to the window
        return widget.mapTo(window, point)

    tiles = [grid.visualRect(grid.model().index(row, 0)).center() for row in (0, 1)]
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     at(grid.viewport(), tiles[0]))
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     at(grid.viewport(), tiles[1]))
    dragged = [p.path for p in grid.selected_photos()]
    target = at(entries.viewport(), entries.visualItemRect(entries.item(2)).center())

    def over_the_album_and_release() -> None:  # runs inside QDrag.exec's own event loop
        for step in (QPoint(0, 0), QPoint(2, 1), QPoint(3, 2)):
            QTest.mouseMove(handle, target + step)
        QTest.mouseRelease(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           target + QPoint(3, 2))

    QTest.mousePress(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     at(grid.viewport(), tiles[1]))
    QTest.mouseMove(handle, at(grid.viewport(), tiles[1] + QPoint(2, 2)))  # a selected tile: drag
    QTimer.singleShot(100, over_the_album_and_release)
    far = QApplication.startDragDistance() + 10
    QTest.mouseMove(handle, at(grid.viewport(), tiles[1] + QPoint(far, far)))  # QDrag.exec runs
    added = wait_until(lambda: organizing.album_paths(library, album.id) == set(dragged))
    window.close()
    print("\n".join(dragged))
    return 0 if added and len(dragged) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())

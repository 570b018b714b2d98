"""The grid view: 100,000 tiles stay cheap, one call into Python a frame, Ctrl+wheel zooms,
thumbnails load only when seen."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, QPointF, Qt
from PySide6.QtGui import QHoverEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QListView

from photofinder.records import Photo
from photofinder.ui.grid import GAP, PhotoGrid
from photofinder.ui.photo_model import LibraryModel



def many_photos(count: int) -> list[Photo]:
    start = datetime(2015, 1, 1)
    return [Photo(f"/library/{n // 1000}/{n}.jpg", f"/library/{n // 1000}", 2_000_000, n, "", 4000,
                  3000, start + timedelta(minutes=n)) for n in range(count)]


def test_hundred_thousand_tiles_paint_at_every_scroll_position(qtbot):
    """How fast it scrolls is measured by benchmarks/bench_app.py; here, that each position
    of a 100,000-photo grid shows its own rows, down to the last photo."""
    grid = shown_grid(qtbot, 100_000)
    last = grid.model().index(99_999, 0)
    qtbot.waitUntil(lambda: grid.visualRect(last).isValid())  # laid out in batches, meanwhile
    bar = grid.verticalScrollBar()
    tops = []
    for step in range(0, 61, 10):
        bar.setValue(bar.maximum() * step // 60)
        grid.viewport().grab()  # paints now (repaint() does not before the window is on a screen)
        top = grid.indexAt(QPoint(grid.gridSize().width() // 2, grid.gridSize().height() // 2))
        assert top.isValid() and grid.viewport().rect().intersects(grid.visualRect(top))
        tops.append(top.row())
    assert tops[0] == 0 and tops == sorted(set(tops)), tops
    assert grid.viewport().rect().intersects(grid.visualRect(last))


class QtLoopGrid(PhotoGrid):
    """Painted by QListView's own loop, for comparison."""

    paintEvent = QListView.paintEvent


def shown_grid(qtbot, photos: int, kind: type[PhotoGrid] = PhotoGrid) -> PhotoGrid:
    model = LibraryModel()
    model.set_photos(many_photos(photos))
    grid = kind(160)
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(1000, 600)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


def hover(viewport, position: QPoint) -> None:
    """The pointer over a tile: moved there (ours asks where it is) and a hover event (Qt's loop
    keeps the index the last one was over; the offscreen platform sends none)."""
    QTest.mouseMove(viewport, position)
    QApplication.sendEvent(viewport, QHoverEvent(QEvent.Type.HoverMove, QPointF(position),
                                                 QPointF(position), QPointF(-1, -1)))


@pytest.mark.parametrize("direction", [Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft])
def test_grid_paints_what_qt_paints(qtbot, direction):
    images = []
    for kind in (PhotoGrid, QtLoopGrid):
        grid = shown_grid(qtbot, 500, kind)
        grid.setLayoutDirection(direction)
        grid.photo_model().set_offline_folders(frozenset({"/library/0"}))
        rows = grid.model()
        grid.verticalScrollBar().setValue(grid.gridSize().height() * 3 // 2)  # rows cut at the top
        grid.setFocus()
        grid.setCurrentIndex(rows.index(12, 0))
        for row in (10, 11, 13, 17):
            grid.selectionModel().select(rows.index(row, 0), QItemSelectionModel.SelectionFlag.Select)
        QApplication.processEvents()  # the delayed layout, before positions are taken
        hover(grid.viewport(), grid.visualRect(rows.index(7, 0)).center())
        images.append(grid.viewport().grab().toImage())
    assert images[0] == images[1]


def test_a_frame_calls_into_python_once(qtbot, monkeypatch):
    """Qt's loop calls the model's flags() and the delegate from C++ for every tile; each such
    call must win the GIL back from busy workers (up to a switch interval each)."""
    calls = []
    original = LibraryModel.flags
    monkeypatch.setattr(LibraryModel, "flags", lambda self, index: calls.append(1) or original(self, index))
    flags_per_frame = {}
    for kind in (QtLoopGrid, PhotoGrid):
        grid = shown_grid(qtbot, 1000, kind)
        grid.verticalScrollBar().setValue(5000)
        calls.clear()
        grid.viewport().grab()  # paints now (repaint() does not before the window is on a screen)
        flags_per_frame[kind] = len(calls)
    assert flags_per_frame[QtLoopGrid] >= grid.visible_tiles() // 2
    assert flags_per_frame[PhotoGrid] == 0


def newer_photos(count: int) -> list[Photo]:
    return [Photo(f"/new/{n}.jpg", "/new", 1, n, "", 640, 480, datetime(2030, 1, 1, 0, n))
            for n in range(count)]


def photo_at_top_left(grid: PhotoGrid) -> tuple[str, int]:
    """The photo of the tile at the top left of the view, and its tile's height there."""
    cell = grid.gridSize()
    index = grid.indexAt(QPoint(cell.width() // 2, cell.height() // 2))
    return grid.photo_model().photo_at(index.row()).path, grid.visualRect(index).top()


def tile_top(grid: PhotoGrid, path: str) -> int:
    return grid.visualRect(grid.model().index(grid.photo_model().row_of(path), 0)).top()


def test_photos_added_or_removed_above_leave_the_view_in_place(qtbot):
    grid = shown_grid(qtbot, 10_000)
    bar = grid.verticalScrollBar()
    bar.setValue(bar.maximum() // 2 + 7)
    QApplication.processEvents()
    changes = [lambda model: model.upsert(newer_photos(40)),  # a commit of indexing: 40 inserts
               lambda model: model.remove_paths([f"/new/{n}.jpg" for n in range(0, 40, 3)]),
               lambda model: model.remove_paths([p.path for p in many_photos(30)])]  # below
    for change in changes:
        path, height = photo_at_top_left(grid)
        change(grid.photo_model())
        qtbot.waitUntil(lambda: grid.viewport().updatesEnabled())
        assert tile_top(grid, path) == height


def test_at_the_top_added_photos_show(qtbot):
    grid = shown_grid(qtbot, 10_000)
    grid.photo_model().upsert(newer_photos(3))
    QApplication.processEvents()
    assert grid.verticalScrollBar().value() == 0
    assert photo_at_top_left(grid)[0] == "/new/2.jpg"  # newest first


def test_laying_out_rows_does_not_call_python_for_each(qtbot, monkeypatch):
    """QListView asks rowCount() twice a row while it lays out: 200,000 calls into Python,
    220 ms, for one photo added to 100,000 (the proxy answers them in C++)."""
    grid = shown_grid(qtbot, 10_000)
    calls = []
    original = LibraryModel.rowCount
    monkeypatch.setattr(LibraryModel, "rowCount", lambda self, *a: calls.append(1) or original(self, *a))
    grid.photo_model().upsert(newer_photos(1))
    grid.executeDelayedItemsLayout()
    assert grid.visualRect(grid.model().index(9_999, 0)).isValid()
    assert len(calls) < 100


def test_ctrl_wheel_zooms_and_columns_fill_the_width(qtbot):
    grid = PhotoGrid(160)
    qtbot.addWidget(grid)
    grid.resize(1000, 600)
    grid.show()
    zooms = []
    grid.zoom_requested.connect(zooms.append)
    wheel = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(grid.viewport(), wheel)
    assert zooms == [1]
    width = grid.viewport().width() - 1
    cell = grid.gridSize().width()
    assert width % cell < width // cell  # the columns share the width: under a pixel each is left
    assert abs(grid.delegate.tile_px - 160) <= (160 + GAP) // 2


def test_thumbnails_load_only_for_tiles_on_screen(qtbot, indexed_window):
    window = indexed_window
    cache = window.thumbnails
    qtbot.waitUntil(lambda: cache._pool.activeThreadCount() == 0)  # none writing into the folder
    shutil.rmtree(cache.cache_dir)  # indexing wrote them all; see what the grid makes alone
    cache.clear()
    window.content.library_grid.viewport().update()
    qtbot.waitUntil(lambda: len(cache._pixmaps) >= 10, timeout=20_000)
    qtbot.wait(500)
    on_disk = list(cache.cache_dir.rglob("*.jpg"))
    assert 10 <= len(on_disk) < window.library_ctl.model.rowCount()  # lazily: not all 120
    assert all(f.stat().st_size <= 25_000 for f in on_disk)

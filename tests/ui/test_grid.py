"""The grid view: 100,000 tiles stay cheap, one call into Python a frame, Ctrl+wheel zooms,
thumbnails load only when seen."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication

from photofinder.records import Photo
from photofinder.ui.grid import GAP, PhotoGrid
from photofinder.ui.photo_model import LibraryModel



def many_photos(count: int, apart: timedelta = timedelta(minutes=1)) -> list[Photo]:
    start = datetime(2015, 1, 1)
    return [Photo(f"/library/{n // 1000}/{n}.jpg", f"/library/{n // 1000}", 2_000_000, n, "", 4000,
                  3000, start + n * apart) for n in range(count)]


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


def shown_grid(qtbot, photos: int, apart: timedelta = timedelta(minutes=1)) -> PhotoGrid:
    model = LibraryModel()
    model.set_photos(many_photos(photos, apart))
    grid = PhotoGrid(160)
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(1000, 600)
    grid.show()
    qtbot.waitExposed(grid)
    return grid


@pytest.mark.parametrize("direction", [Qt.LayoutDirection.LeftToRight, Qt.LayoutDirection.RightToLeft])
def test_tiles_sit_under_their_month_header_and_are_found_where_painted(qtbot, direction):
    grid = shown_grid(qtbot, 2000, timedelta(hours=1))  # about three months
    grid.setLayoutDirection(direction)
    QApplication.processEvents()
    rows, layout = grid.model(), grid.grid_layout()
    months = Counter(f"{p.taken_at:%B %Y}" for p in many_photos(2000, timedelta(hours=1)))
    assert [s.title for s in layout.sections] == [f"{m} · {months[m]:,} photos"
                                                 for m in ("March 2015", "February 2015", "January 2015")]
    first_of_february = months["March 2015"]  # newest first: February starts after March
    grid.scrollTo(rows.index(first_of_february, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    header_top = grid.visualRect(rows.index(first_of_february, 0)).top() - layout.header
    assert header_top == 0  # scrolled to a month's first line shows its header too
    header_middle = QPoint(grid.viewport().width() // 2, layout.header // 2)
    assert not grid.indexAt(header_middle).isValid()
    seen = 0
    for row in range(first_of_february - 20, first_of_february + 40):
        rect = grid.visualRect(rows.index(row, 0))
        if grid.viewport().rect().contains(rect.center()):
            assert grid.indexAt(rect.center()).row() == row
            assert 0 <= rect.left() and rect.right() < grid.viewport().width()
            seen += 1
    assert seen >= 12
    last_of_march = first_of_february - 1  # March ends on a short line, above February's header
    assert grid.visualRect(rows.index(last_of_march, 0)).bottom() < header_top
    mirrored = direction == Qt.LayoutDirection.RightToLeft
    first = grid.visualRect(rows.index(first_of_february, 0))
    assert (first.right() > grid.viewport().width() - first.width()) == mirrored
    image = grid.viewport().grab().toImage()
    band = [image.pixelColor(x, layout.header // 2) for x in range(0, image.width(), 2)]
    assert len({c.rgb() for c in band}) > 1  # the title is drawn in the header band


def test_keys_move_across_a_month_header_in_the_same_column(qtbot):
    grid = shown_grid(qtbot, 2000, timedelta(hours=1))
    rows, layout = grid.model(), grid.grid_layout()
    march = layout.sections[0]
    last_line_start = march.count - march.count % layout.columns if march.count % layout.columns \
        else march.count - layout.columns
    grid.setFocus()
    grid.setCurrentIndex(rows.index(last_line_start + 1, 0))
    QTest.keyClick(grid, Qt.Key.Key_Down)
    assert grid.currentIndex().row() == march.count + 1  # February's first line, second column
    QTest.keyClick(grid, Qt.Key.Key_Up)
    assert grid.currentIndex().row() == last_line_start + 1


@pytest.mark.qt_log_ignore("propagateSizeHints", "does not support raise")  # offscreen tooltips
def test_dragging_the_scroll_bar_shows_the_month_there(qtbot):
    from PySide6.QtWidgets import QToolTip

    grid = shown_grid(qtbot, 2000, timedelta(hours=1))
    layout, bar = grid.grid_layout(), grid.verticalScrollBar()
    february = layout.sections[1]
    place = layout.tops[1] + layout.header + grid.gridSize().height()  # inside February
    bar.sliderMoved.emit(place)
    assert QToolTip.isVisible() and QToolTip.text() == february.title
    QToolTip.hideText()


def test_a_rubber_band_selects_the_tiles_it_meets(qtbot):
    grid = shown_grid(qtbot, 500)
    cell = grid.gridSize().width()
    header = grid.grid_layout().header
    viewport = grid.viewport()  # from the header (no tile) down over two lines of two tiles
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(cell // 2, header // 2))
    QTest.mouseMove(viewport, QPoint(cell + cell // 2, header + cell + cell // 2))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(cell + cell // 2, header + cell + cell // 2))
    columns = grid.grid_layout().columns
    chosen = sorted(i.row() for i in grid.selectionModel().selectedIndexes())
    assert chosen == [0, 1, columns, columns + 1]


def test_a_frame_calls_into_python_once(qtbot, monkeypatch):
    """Qt's item loops call the model's flags() and the delegate from C++ for every tile; each
    such call must win the GIL back from busy workers (up to a switch interval each). Ours
    paints every visible tile from one paintEvent and never asks flags()."""
    calls, painted = [], []
    original = LibraryModel.flags
    monkeypatch.setattr(LibraryModel, "flags", lambda self, index: calls.append(1) or original(self, index))
    grid = shown_grid(qtbot, 1000)
    paint = grid.delegate.paint
    monkeypatch.setattr(grid.delegate, "paint", lambda *a: painted.append(1) or paint(*a))
    grid.verticalScrollBar().setValue(5000)
    calls.clear()
    grid.viewport().grab()  # paints now (repaint() does not before the window is on a screen)
    assert len(painted) >= grid.visible_tiles() // 2
    assert calls == []


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
    """QListView asked rowCount() twice a row while it laid out: 200,000 calls into Python,
    220 ms, for one photo added to 100,000. This view lays out by months, and its own
    calls go to the C++ proxy."""
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

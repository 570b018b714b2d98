"""The grid view: 100,000 tiles stay cheap, Ctrl+wheel zooms, thumbnails load only when seen."""

from __future__ import annotations

import shutil
import statistics
import time
from datetime import datetime, timedelta

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from photofinder.records import Photo
from photofinder.ui.grid import GAP, PhotoGrid
from photofinder.ui.photo_model import LibraryModel

FRAME_BUDGET_MS = 50  # generous for a busy test machine; about 10 ms here


def many_photos(count: int) -> list[Photo]:
    start = datetime(2015, 1, 1)
    return [Photo(f"/library/{n // 1000}/{n}.jpg", f"/library/{n // 1000}", 2_000_000, n, "", 4000,
                  3000, start + timedelta(minutes=n)) for n in range(count)]


def test_hundred_thousand_tiles_scroll_within_a_frame(qtbot):
    model = LibraryModel()  # no thumbnails: placeholders, the worst case for layout and paint
    started = time.perf_counter()
    model.set_photos(many_photos(100_000))
    grid = PhotoGrid(160)
    qtbot.addWidget(grid)
    grid.setModel(model)
    grid.resize(1100, 700)
    grid.show()
    qtbot.waitExposed(grid)
    assert time.perf_counter() - started < 5
    bar = grid.verticalScrollBar()
    frames = []
    for step in range(60):
        bar.setValue(bar.maximum() * step // 60)
        before = time.perf_counter()
        grid.viewport().repaint()
        frames.append((time.perf_counter() - before) * 1000)
    assert statistics.median(frames) < FRAME_BUDGET_MS, frames


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
    shutil.rmtree(cache.cache_dir)  # indexing wrote them all; see what the grid makes alone
    cache.clear()
    window.content.library_grid.viewport().update()
    qtbot.waitUntil(lambda: len(cache._pixmaps) >= 10, timeout=20_000)
    qtbot.wait(500)
    on_disk = list(cache.cache_dir.rglob("*.jpg"))
    assert 10 <= len(on_disk) < window.library_ctl.model.rowCount()  # lazily: not all 120
    assert all(f.stat().st_size <= 25_000 for f in on_disk)

"""A library folder whose drive is unplugged keeps its photos, shown offline, until it returns."""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QStyleOptionViewItem

from photofinder_testing.tinymodel.shapes import write_photos
from photofinder.ui import folder_presence
from photofinder.ui.tile_delegate import TileDelegate
from photofinder.ui.photo_model import OfflineRole
from photofinder.ui.preview import PreviewDialog

TILE = 100


def offline_marks(model) -> list:
    return [model.index(row).data(OfflineRole) for row in range(model.rowCount())]


def test_unplugged_folder_stays_offline_and_comes_back(qtbot, make_window, tiny_model, tmp_path,
                                                       wait_until_indexed, monkeypatch):
    monkeypatch.setattr(folder_presence, "CHECK_MS", 100)
    drive = tmp_path / "drive"
    folder = drive / "album"
    write_photos(folder, 5, seed=11)
    window = make_window()
    window.add_folder(str(folder))
    wait_until_indexed(window, 5)
    qtbot.waitUntil(lambda: window.live.running, timeout=10_000)
    model = window.library_ctl.model

    os.rename(folder, drive / "unplugged")  # as if the drive were pulled out
    qtbot.waitUntil(lambda: offline_marks(model) == [str(folder)] * 5, timeout=10_000)
    assert window.library.store.count() == 5
    assert "Offline" in model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    qtbot.waitUntil(lambda: "offline" in window.folders.list.item(0).text())
    window.folders.list.setCurrentRow(0)
    assert not window.folders.rescan_button.isEnabled()  # nothing to rescan until it returns
    assert window.folders.remove_button.isEnabled()  # the one way to forget its photos
    with qtbot.waitSignal(window.search.results, timeout=30_000):
        qtbot.keyClicks(window.search_box, "a red circle")  # still found, marked offline
    results = window.results_model
    assert results.rowCount() == 5
    assert offline_marks(results) == [str(folder)] * 5
    qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    window.content.show_library(model.rowCount())
    window.preview(model.index(0))
    preview = window.findChild(PreviewDialog)
    qtbot.waitUntil(lambda: "offline" in preview.picture.text())
    preview.close()

    window.close()  # starting again while it is offline deletes nothing either
    window = make_window()
    model = window.library_ctl.model
    wait_until_indexed(window, 5)
    qtbot.waitUntil(lambda: offline_marks(model) == [str(folder)] * 5, timeout=10_000)
    qtbot.waitUntil(lambda: window.live.running, timeout=10_000)

    os.rename(drive / "unplugged", folder)  # plugged in again
    qtbot.waitUntil(lambda: offline_marks(model) == [None] * 5, timeout=10_000)
    qtbot.waitUntil(lambda: "offline" not in window.folders.list.item(0).text())
    window.folders.list.setCurrentRow(0)
    assert window.folders.rescan_button.isEnabled()
    write_photos(folder / "new", 1, seed=12)  # followed again, without a restart
    qtbot.waitUntil(lambda: model.rowCount() == 6, timeout=30_000)


def test_a_hung_mount_never_blocks_the_window(qtbot, make_window, monkeypatch, tmp_path):
    monkeypatch.setattr(folder_presence, "CHECK_MS", 20)
    answer = threading.Event()
    calls = []

    def hung_check(folders):
        calls.append(folders)
        answer.wait(10)
        return frozenset()

    monkeypatch.setattr(folder_presence, "offline_folders", hung_check)
    window = make_window()
    try:
        window.add_folder(str(tmp_path))
        qtbot.wait(300)  # the event loop runs on, with many ticks while the check hangs
        assert len(calls) == 1  # a single check at a time, never a pile of stuck threads
    finally:
        answer.set()


def paint_tile(offline: str | None) -> QImage:
    """One red tile painted by the grid's delegate, online or offline, on white."""
    picture = QPixmap(TILE, TILE)
    picture.fill(QColor("red"))
    item = QStandardItem()
    item.setData(picture, Qt.ItemDataRole.DecorationRole)
    item.setData(offline, OfflineRole)
    model = QStandardItemModel()
    model.appendRow(item)
    delegate = TileDelegate(TILE)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, delegate.cell.width(), delegate.cell.height())
    image = QImage(delegate.cell, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(0, 0))
    painter.end()
    return image


def test_offline_tiles_are_dimmed_and_badged(qapp):
    online, offline = paint_tile(None), paint_tile("/media/drive")
    centre = online.width() // 2
    assert online.pixelColor(centre, centre) == QColor("red")
    dimmed = offline.pixelColor(centre, centre)
    assert dimmed.red() == 255 and 130 < dimmed.green() < 200  # red faded towards white
    corner = offline.pixelColor(12, offline.height() - 12)  # the dark "offline" badge
    assert max(corner.red(), corner.green(), corner.blue()) < 120
    assert online.pixelColor(12, online.height() - 12) == QColor("red")

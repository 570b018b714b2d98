"""The folder panel: rescan finds new and edited photos, remove forgets a folder."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox

from photofinder.library import Library
from photofinder.ui.folders_panel import FolderPanel
from photofinder.ui.style import STYLE_SHEET
from photofinder_testing.tinymodel.shapes import write_photos


def test_rescan_and_remove(qtbot, make_window, tiny_model, tmp_path, monkeypatch,
                           wait_until_indexed):
    folder = tmp_path / "album"
    write_photos(folder, 6, seed=1)
    window = make_window()
    window.add_folder(str(folder))
    wait_until_indexed(window, 6)

    (folder / "new").mkdir()
    write_photos(folder / "new", 2, seed=2)
    window.folders.list.setCurrentRow(0)
    window.folders.rescan_button.click()
    wait_until_indexed(window, 8)
    qtbot.waitUntil(lambda: "8 photos" in window.folders.list.item(0).text())  # counted in a worker

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    window.folders.remove_button.click()
    qtbot.waitUntil(lambda: window.content.pages.currentWidget() is window.content.empty, timeout=30_000)
    assert window.library_ctl.model.rowCount() == 0
    assert Library().folders() == []
    assert len(os.listdir(folder)) == 7  # the files stay


def test_photos_copied_in_while_open_appear(qtbot, make_window, tiny_model, tmp_path,
                                             wait_until_indexed):
    folder = tmp_path / "album"
    write_photos(folder, 4, seed=3)
    window = make_window()
    window.add_folder(str(folder))
    wait_until_indexed(window, 4)
    qtbot.waitUntil(lambda: window.live.running, timeout=10_000)
    write_photos(folder / "later", 2, seed=4)  # as if copied from a camera
    qtbot.waitUntil(lambda: window.library_ctl.model.rowCount() == 6, timeout=30_000)
    (folder / "later" / "shape-0000.jpg").unlink()
    qtbot.waitUntil(lambda: window.library_ctl.model.rowCount() == 5, timeout=30_000)


def test_a_selected_folder_still_shows_its_name_and_count(qtbot):
    """The window's style sheet once painted the selected folder as a blank box."""
    panel = FolderPanel()
    panel.setStyleSheet(STYLE_SHEET)
    qtbot.addWidget(panel)
    panel.resize(260, 300)
    panel.set_folders({"/photos/Pictures": 1234, "/photos/Trip": 5})
    panel.show()
    qtbot.waitExposed(panel)
    assert text_edges(panel.list, 0) >= 10
    panel.list.setCurrentRow(0)
    assert text_edges(panel.list, 0) >= 10  # a blank box has 2: its left and right borders


def text_edges(folder_list, row: int) -> int:
    """The most light/dark changes along one pixel line of a painted row: text makes many."""
    image = folder_list.viewport().grab(folder_list.visualItemRect(folder_list.item(row))).toImage()
    lightness = [[image.pixelColor(x, y).lightness() for x in range(image.width())]
                 for y in range(image.height())]
    return max(sum(abs(a - b) > 60 for a, b in zip(line, line[1:])) for line in lightness)

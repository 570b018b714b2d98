"""A damaged index in the window: a dialog offers repair; the repair runs in the
background as the indexer's next run, and the photos come back in the grid."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from photofinder.library import Library
from photofinder_testing import damage
from photofinder_testing.tinymodel.shapes import write_photos


def test_damaged_index_offers_repair_and_the_photos_come_back(qtbot, messages, tiny_model,
                                                               tmp_path):
    from photofinder.ui.main_window import MainWindow

    folder = tmp_path / "album"
    write_photos(folder, 8, seed=5)
    library = Library()
    library.add_folder(folder)
    library.index()
    library.user_data.set_rating(library.store.photos()[0], 5)
    damage.delete_manifests(library.paths)

    window = MainWindow(Library(), messages)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.repair_ui.dialog is not None, timeout=30_000)
    box = window.findChild(QMessageBox, "indexDamaged")
    assert "version files" in box.informativeText()
    assert {b.text() for b in box.buttons()} >= {"Repair", "Open the log"}
    with qtbot.waitSignal(window.indexer.repaired, timeout=120_000) as repaired:
        window.repair_ui.repair_button.click()
    assert repaired.args[0].method == "rebuild" and repaired.args[0].photos == 8
    qtbot.waitUntil(lambda: window.library_ctl.model.rowCount() == 8, timeout=30_000)
    assert "repaired" in window.statusBar().currentMessage()
    assert len(Library().user_data.marks()) == 1  # the rating is untouched


def test_a_read_only_library_says_so_and_indexes_nothing(qtbot, make_window, monkeypatch):
    monkeypatch.setattr("photofinder.library.read_only_reason", lambda folder: "Read-only file system")
    window = make_window()
    assert window.windowTitle() == "photofinder (read-only)"
    assert "read-only" in window.notices_box.text()
    window.indexer.request()
    assert not window.indexer.busy
    window.notices_box.close()

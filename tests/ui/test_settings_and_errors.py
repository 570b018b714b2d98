"""Choices persist; problems reach people: status line, Issues panel, error dialog, model dialogs."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from photofinder.config import Settings
from photofinder.embedder import ModelSpec
from photofinder.errors import DownloadCancelled, DownloadError
from photofinder.library import Library
from photofinder.records import FileProblem
from photofinder.ui.crash import ErrorDialog, install_exception_hooks
from photofinder.ui.settings_dialog import SettingsDialog


def test_tile_size_geometry_and_folders_persist(qtbot, make_window, tiny_model, tmp_path):
    window = make_window()
    window.add_folder(str(tmp_path))
    window.tile_slider.setValue(224)
    window.resize(780, 560)  # within the offscreen screen (800 x 600)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (780, 560))
    window.close()

    assert Settings.load(Library().paths.settings_file).thumbnail_size == 224
    again = make_window()
    assert again.tile_slider.value() == 224
    assert (again.width(), again.height()) == (780, 560)
    assert again.library.folders() == [str(tmp_path)]


def test_settings_dialog_applies_and_reports_changes(qtbot, tmp_path):
    settings = Settings()
    dialog = SettingsDialog(settings, ModelSpec("ViT-B-32", "laion2b_s34b_b79k"),
                            [str(tmp_path / "old")])
    qtbot.addWidget(dialog)
    assert dialog.known.currentText().startswith("ViT-B/32 LAION-2B (recommended) — 605 MB")
    assert not dialog.weights.isVisibleTo(dialog)  # the expert fields wait for "Other…"
    dialog.known.setCurrentIndex(dialog.known.findText("ViT-B/16", Qt.MatchFlag.MatchStartsWith))
    assert dialog.chosen_model() == ModelSpec("ViT-B-16", "laion2b_s34b_b88k")
    dialog.known.setCurrentIndex(dialog.known.findText("Other open_clip model…"))
    assert dialog.weights.isVisibleTo(dialog)
    dialog.weights.setText(str(tmp_path / "model.pt"))
    dialog.excluded.addItem(str(tmp_path / "private"))
    dialog.tile.setValue(192)
    assert dialog.apply(settings) == {"thumbnail_size"}
    assert dialog.excluded_folders() == [str(tmp_path / "old"), str(tmp_path / "private")]
    assert settings.thumbnail_size == 192
    # the model is switched by the window, and saved by the library once the switch is done
    assert settings.weights == ""
    assert dialog.chosen_model() == ModelSpec("ViT-B-32", "laion2b_s34b_b79k", str(tmp_path / "model.pt"))


def test_file_problems_go_to_the_issues_panel(qtbot, make_window, messages):
    window = make_window()
    messages.problem(FileProblem("/photos/broken.jpg", "truncated or corrupt JPEG"))
    qtbot.waitUntil(lambda: window.issues.table.rowCount() == 1)
    assert window.issues_button.isVisible()
    assert "1 skipped file" in window.issues_button.text()
    window.issues_button.click()
    assert window.issues.isVisible()
    window.issues.copy_all()
    assert QGuiApplication.clipboard().text() == "/photos/broken.jpg: truncated or corrupt JPEG"


def test_an_unreadable_settings_file_is_explained_in_a_box(qtbot, make_window):
    paths = Library().paths
    Settings(thumbnail_size=192).save(paths.settings_file)
    paths.settings_file.write_text('{"thumbnail_size": 200,,}')
    window = make_window()
    box = window.findChild(QMessageBox, "startNotices")
    assert box is not None and box.isVisible()
    assert "broken-" in box.text() and "restored" in box.text()
    assert window.tile_slider.value() == 192  # the last good copy
    box.close()


def test_routine_errors_are_status_messages(qtbot, make_window, messages):
    window = make_window()
    messages.error(DownloadError("no network: point the settings at a weights file"))
    qtbot.waitUntil(lambda: "weights file" in window.statusBar().currentMessage())
    assert window.findChild(ErrorDialog) is None


def test_bugs_in_any_thread_open_the_error_dialog(qtbot, make_window, messages):
    window = make_window()
    restore = install_exception_hooks(messages)
    try:
        thread = threading.Thread(target=lambda: 1 / 0, name="pf-test")
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: window.findChild(ErrorDialog) is not None)
    finally:
        restore()
    dialog = window.findChild(ErrorDialog)
    assert "ZeroDivisionError" in dialog.details.toPlainText()
    dialog.copy_button.click()
    assert "ZeroDivisionError" in QGuiApplication.clipboard().text()
    dialog.close()


def test_model_download_can_be_cancelled_from_its_dialog(qtbot, make_window, monkeypatch):
    window = make_window()

    def slow_download(progress=None, cancel=None):
        progress(10_000_000, 150_000_000)
        while not cancel():
            threading.Event().wait(0.02)
        raise DownloadCancelled("download cancelled")

    monkeypatch.setattr(window.library.embedder, "prepare_for_text", slow_download)
    window.search.set_text("dog")
    window.search.search_now()
    qtbot.waitUntil(lambda: window.download_ui.dialog is not None, timeout=5000)
    dialog = window.download_ui.dialog
    assert "10 of 150 MB" in dialog.detail.text()
    assert "Search starts as soon as the model is downloaded" in window.content.notice.text
    with qtbot.waitSignal(window.loader.failed, timeout=5000):
        dialog.cancel_button.click()
    assert "cancelled" in dialog.detail.text() and dialog.retry_button.isVisible()
    assert window.findChild(QMessageBox) is None  # one dialog says it all
    assert "cancelled" in window.content.notice.text
    dialog.close()


def test_without_torch_the_settings_offer_the_models_with_a_published_export(qtbot, monkeypatch):
    import photofinder.ui.settings_dialog as settings_dialog

    monkeypatch.setattr(settings_dialog, "importable", lambda module: module != "open_clip")
    dialog = SettingsDialog(Settings(), ModelSpec("ViT-B-32", "laion2b_s34b_b79k"))
    qtbot.addWidget(dialog)
    offered = [dialog.known.itemText(i) for i in range(dialog.known.count())]
    assert [name.split(" — ")[0] for name in offered] == [
        "ViT-B/32 LAION-2B (recommended)", "ViT-L/14 LAION-2B (best, 20x slower)",
        "ViT-B/32 OpenAI (original CLIP)", "Other open_clip model…"]
    dialog.known.setCurrentIndex(dialog.known.findText("Other open_clip model…"))
    assert dialog.pretrained.isVisibleTo(dialog) and not dialog.weights.isVisibleTo(dialog)

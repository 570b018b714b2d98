"""Help ▸ About says what runs and where the data is; Help ▸ Keyboard shortcuts lists the keys."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

import photofinder


def test_about_names_version_model_backend_and_data_folder(make_window, tiny_model, private_home):
    window = make_window()
    window.show_about()
    box = QApplication.activeModalWidget()
    text = box.text()
    assert photofinder.__version__ in text
    assert f"pf-tiny-shapes (weights file {tiny_model})" in text
    assert "decided when the model loads" in text
    assert str(window.library.paths.data) in text and str(private_home) in text
    box.close()

    window.library.load_model()
    window.show_about()
    box = QApplication.activeModalWidget()
    assert "torch-" in box.text() and " on cpu " in box.text()  # conftest: PHOTOFINDER_BACKEND=torch
    box.close()


def test_shortcuts_come_from_the_menus(make_window):
    window = make_window()
    window.show_shortcuts()
    box = QApplication.activeModalWidget()
    text = box.text()
    for keys, where in (("Ctrl+F, /", "Edit ▸ Find"), ("Esc", "Edit ▸ Back to all photos"),
                        ("Ctrl+O", "File ▸ Add folder"), ("F1", "Help ▸ Keyboard shortcuts"),
                        ("Space, Enter", "Preview the current photo")):
        assert keys in text and where in text
    box.close()

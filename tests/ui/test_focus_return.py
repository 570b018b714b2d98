"""After a dialog or the preview closes, the window's shortcuts work without a click."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def test_closing_a_dialog_gives_the_keyboard_back_to_the_window(qtbot, make_window):
    window = make_window()
    for open_dialog in (window.open_settings, window.show_about, window.show_shortcuts):
        window.search_box.clearFocus()
        open_dialog()
        dialog = QApplication.activeModalWidget()
        assert dialog is not None and dialog.isVisible()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert not dialog.isVisible()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Find works again
        assert window.search_box.hasFocus()

"""A folder that cannot be opened says so, with its path, instead of doing nothing."""

from __future__ import annotations

import os
import stat

from PySide6.QtWidgets import QApplication, QMessageBox


def shown_message(qtbot) -> str:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox), timeout=10_000)
    box = QApplication.activeModalWidget()
    text = box.text()
    box.close()
    return text


def test_opening_the_log_folder_without_a_file_manager_says_so(qtbot, make_window, tmp_path,
                                                              monkeypatch):
    window = make_window()
    logs = str(window.library.paths.logs)
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-open at all
    window.open_log_folder()
    text = shown_message(qtbot)
    assert "xdg-open" in text and "not installed" in text and logs in text

    xdg_open = tmp_path / "xdg-open"  # there, but no program opens folders
    xdg_open.write_text("#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\nexit 3\n")
    xdg_open.chmod(xdg_open.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    window.open_log_folder()
    text = shown_message(qtbot)
    assert "no method available for opening" in text and logs in text

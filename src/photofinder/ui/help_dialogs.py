"""Help ▸ About (what runs, and where the data is) and Help ▸ Keyboard shortcuts.

The shortcuts are read from the window's own menus, so the list cannot go stale; keys
the grid and the preview handle themselves are added by hand.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenuBar, QMessageBox, QWidget

import photofinder

# Keys handled by widgets rather than menu actions.
WIDGET_KEYS = (
    ("Space, Enter", "Preview the current photo"),
    ("← →, Space, Backspace", "Previous or next photo, in the preview"),
    ("Esc", "Close the preview or a dialog"),
    ("Ctrl + mouse wheel", "Bigger or smaller thumbnails"),
)


def about_text(library) -> str:
    spec = library.embedder.spec
    source = f"weights file {spec.weights}" if spec.weights else (spec.pretrained or "random weights")
    info = library.embedder.info  # only once loaded: guessing before would import torch here
    backend = info.describe_backend() if info else "decided when the model loads"
    rows = (("Version", photofinder.__version__), ("Model", f"{spec.arch} ({source})"),
            ("Backend", backend), ("Data folder", str(library.paths.data)))
    return _table(rows)


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str]]:
    """(keys, "Menu ▸ Action") for every menu action with a shortcut."""
    rows = []
    for menu_action in menu_bar.actions():
        menu = menu_action.menu()
        for action in menu.actions() if menu else ():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            if keys:
                rows.append((keys, f"{_plain(menu.title())} ▸ {_plain(action.text())}"))
    return rows


def show_about(library, parent: QWidget) -> QMessageBox:
    return _open_box("About photofinder",
                     "<b>photofinder</b>: find your photos by what is in them, offline."
                     + about_text(library), parent)


def show_shortcuts(menu_bar: QMenuBar, parent: QWidget) -> QMessageBox:
    rows = [*shortcut_rows(menu_bar), *WIDGET_KEYS]
    return _open_box("Keyboard shortcuts", "<b>Keyboard shortcuts</b>" + _table(rows), parent)


def _open_box(title: str, text: str, parent: QWidget) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Close, parent)
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # paths can be copied
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _table(rows) -> str:
    cells = "".join(f"<tr><td style='padding-right:16px'><b>{html.escape(a)}</b></td>"
                    f"<td>{html.escape(b)}</td></tr>" for a, b in rows)
    return f"<table>{cells}</table>"


def _plain(text: str) -> str:
    """A menu text without its mnemonic ampersand and trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")

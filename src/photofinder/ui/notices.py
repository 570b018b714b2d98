"""Things the user must hear about at start-up, in a box rather than a passing status
line: a settings file that was unreadable and where it was moved, a library opened
read-only, user data restored from a backup."""

from __future__ import annotations

import logging
from typing import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("photofinder.ui")


def show_notices(parent: QWidget, notices: Sequence[str]) -> QMessageBox | None:
    """One non-modal box listing the notices (the window stays usable behind it)."""
    if not notices:
        return None
    for notice in notices:
        log.warning("%s", notice)
    box = QMessageBox(QMessageBox.Icon.Warning, "photofinder",
                      "\n\n".join(n[0].upper() + n[1:] for n in notices),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("startNotices")
    box.open()
    return box

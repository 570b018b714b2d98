"""A damaged index as the user sees it: one dialog ("The photo index is damaged:
Repair / Open the log"), the repair run by the IndexController as its next run (the
grid, folders and thumbnails stay usable meanwhile), and a line saying how it went."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from photofinder.units import photo_count

log = logging.getLogger("photofinder.ui")


class IndexRepairUi(QObject):
    """Offers repair once per damage; reloads the grid when the repair is done."""

    def __init__(self, indexer, loader, library_ctl, messages, open_log, window: QWidget):
        super().__init__(window)
        self._indexer = indexer
        self._loader = loader
        self._library_ctl = library_ctl
        self._messages = messages
        self._open_log = open_log
        self._window = window
        self.dialog: QMessageBox | None = None
        self._repairing = False
        messages.damaged.connect(self.offer)
        indexer.repaired.connect(self._on_repaired)

    def offer(self, damage: str) -> None:
        if self.dialog is not None or self._repairing:
            return  # one question at a time; reads during a repair may fail the same way
        box = QMessageBox(QMessageBox.Icon.Critical, "photofinder", "The photo index is damaged",
                          parent=self._window)
        box.setObjectName("indexDamaged")
        box.setInformativeText(f"{damage[0].upper()}{damage[1:]}.\n\nRepair rolls the index back "
                               "to its newest intact version, or else indexes the photos again. "
                               "Ratings, albums and folders are kept apart and are not touched.")
        self.repair_button = box.addButton("Repair", QMessageBox.ButtonRole.AcceptRole)
        self.log_button = box.addButton("Open the log", QMessageBox.ButtonRole.HelpRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(self._on_button)
        box.finished.connect(self._on_closed)
        self.dialog = box
        box.open()

    def _on_button(self, button) -> None:
        if button is self.repair_button:
            self.repair()
        elif button is self.log_button:
            self._open_log()

    def _on_closed(self) -> None:
        self.dialog = None

    def repair(self) -> None:
        self._repairing = True
        self._messages.info("Repairing the photo index; you can keep browsing meanwhile")
        self._indexer.repair()

    def _on_repaired(self, report) -> None:
        self._repairing = False
        if report.method == "none":
            self._messages.info(f"The photo index was intact: {photo_count(report.photos)}")
        else:
            how = ("rolled back to its newest intact version" if report.method == "rollback"
                   else "rebuilt from the photos")
            self._messages.info(f"The photo index is repaired: {how}, {photo_count(report.photos)} "
                                f"(damaged files kept in {report.moved_aside})")
        self._library_ctl.reload()
        self._loader.ensure_loaded()  # search reads the repaired vectors

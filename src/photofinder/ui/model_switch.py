"""A model switch as the user sees it: started from the settings dialog, announced when done,
explained when it fails. The IndexController runs it; search uses the old model meanwhile."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from photofinder.embedder import ModelSpec


def describe(spec: ModelSpec) -> str:
    weights = os.path.basename(spec.weights) or spec.pretrained or "random weights"
    return f"{spec.arch} ({weights})"


class ModelSwitchUi(QObject):
    """Asks the indexer to switch models, and tells the user how it went."""

    def __init__(self, library, indexer, presence, search, messages, window: QWidget):
        super().__init__(window)
        self._library = library
        self._indexer = indexer
        self._presence = presence
        self._search = search
        self._messages = messages
        self._window = window
        indexer.switched.connect(self._on_switched)
        indexer.switch_failed.connect(self._on_failed)

    @property
    def chosen(self) -> ModelSpec:
        """The model the user last chose: the one being switched to, or the one in use."""
        return self._indexer.switching_to or self._library.embedder.spec

    def request(self, spec: ModelSpec) -> None:
        """Switch to ``spec`` in the background, unless it is already chosen."""
        if spec == self.chosen or (self._presence.offline and not self._confirm_offline()):
            return
        self._indexer.switch_model(spec)
        self._messages.info(f"Indexing the photos for {describe(spec)}; "
                            "search keeps using the current model until that is done")

    def _confirm_offline(self) -> bool:
        """Photos of an offline folder cannot be re-embedded: say so before they leave the grid."""
        names = ", ".join(sorted(self._presence.offline))
        answer = QMessageBox.question(
            self._window, "Switch models",
            f"Offline now: {names}.\n\nIts photos can be indexed for the new model only once it "
            "is connected again; until then they are not shown. Switch models anyway?")
        return answer == QMessageBox.StandardButton.Yes

    def _on_switched(self, spec: ModelSpec) -> None:
        self._messages.info(f"Search now uses {describe(spec)}")
        self._search.refresh()

    def _on_failed(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "photofinder: model not changed",
                          "The photos could not be indexed for the chosen model, so search "
                          "keeps using the current one.", QMessageBox.StandardButton.Close,
                          self._window)
        box.setInformativeText(message)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

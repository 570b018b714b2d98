"""The model download, as the user sees it: a cancellable progress dialog, or a plain failure."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from photofinder.ui.model_loader import ModelLoader

MB = 1_000_000


class ModelDownloadUi(QObject):
    """Opens the progress dialog on the first download bytes; explains failures."""

    settings_requested = Signal()  # the user wants to choose a weights file

    def __init__(self, loader: ModelLoader, window: QWidget):
        super().__init__(window)
        self._loader = loader
        self._window = window
        self.dialog: QProgressDialog | None = None
        loader.download_progress.connect(self._on_progress)
        loader.ready.connect(self._close)
        loader.failed.connect(self._on_failed)

    def _on_progress(self, done: int, total: int | None) -> None:
        if self.dialog is None:
            self.dialog = QProgressDialog("Downloading the search model (only this once)…", "Cancel",
                                          0, 0, self._window)
            self.dialog.setWindowTitle("photofinder: downloading the model")
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self._loader.cancel)
            self.dialog.show()
        shown = f"{done / MB:,.0f} of {total / MB:,.0f} MB" if total else f"{done / MB:,.0f} MB"
        self.dialog.setLabelText(f"Downloading the search model (only this once)…\n{shown}")
        if total:
            self.dialog.setRange(0, 1000)
            self.dialog.setValue(min(1000, done * 1000 // total))

    def _close(self) -> None:
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self._loader.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_failed(self, message: str) -> None:
        cancelled = self.dialog is not None and self.dialog.wasCanceled()
        self._close()
        if cancelled:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "photofinder: no search model",
                          "The search model could not be loaded, so photos cannot be indexed "
                          "or searched yet.", QMessageBox.StandardButton.Close, self._window)
        box.setInformativeText(message)
        choose = box.addButton("Choose a weights file…", QMessageBox.ButtonRole.ActionRole)
        choose.clicked.connect(self.settings_requested)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

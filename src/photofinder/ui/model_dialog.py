"""Getting the search model, as the user sees it: one dialog.

While downloading it says which model, its size, and shows progress with speed and
time left, with Pause/Resume and Cancel. When the download fails (offline) it says
why, which file to get and from where (the model's page), and offers a file chooser:
the chosen file is checked (the published checksum, and that it fits the model)
before it is used. The dialog opens by itself once, on the first download bytes or
the first failure; after that only when asked (Help ▸ Get the search model…, or the
button where search explains what it waits for), so errors never pop up while typing.
"""

from __future__ import annotations

import os
import time
from collections import deque

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from photofinder.model_catalog import known_model
from photofinder.ui.model_loader import ModelLoader
from photofinder.ui.status_bar import time_left

MB = 1_000_000
RATE_WINDOW_S = 5.0  # speed is averaged over the last seconds of the transfer
WEIGHT_FILES = "Model weights (*.safetensors *.bin *.pt *.pth);;All files (*)"


class TransferRate:
    """Bytes per second over the last RATE_WINDOW_S, and the time left at that rate."""

    def __init__(self):
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def add(self, done: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.popleft()

    @property
    def bytes_per_second(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def seconds_left(self, done: int, total: int | None) -> float | None:
        rate = self.bytes_per_second
        return (total - done) / rate if total and rate > 0 else None


def model_title(spec) -> str:
    """Which model, in words: its catalog name, or the open_clip names."""
    known = known_model(spec.arch, spec.pretrained)
    if known is not None:
        return f"{known.name} ({known.size_mb:,} MB)"
    return f"{spec.arch} ({spec.pretrained or os.path.basename(spec.weights)})"


class ModelDialog(QDialog):
    """The download's progress, or what to do without it; the loader does the work."""

    def __init__(self, loader: ModelLoader, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._loader = loader
        self._rate = TransferRate()
        self.setWindowTitle("photofinder: the search model")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.model_label = QLabel(title)
        layout.addWidget(self.model_label)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        layout.addWidget(self.bar)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.detail.setOpenExternalLinks(True)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.choose_button = QPushButton("Choose the file…")
        self.retry_button = QPushButton("Try again")
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel download")
        self.close_button = QPushButton("Close")
        buttons.addWidget(self.choose_button)
        buttons.addStretch(1)
        for button in (self.retry_button, self.pause_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.choose_button.clicked.connect(self.choose_file)
        self.retry_button.clicked.connect(self._resume)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.cancel_button.clicked.connect(loader.cancel)
        self.close_button.clicked.connect(self.close)

    def show_progress(self, done: int, total: int | None) -> None:
        self._rate.add(done)
        self.bar.setVisible(True)
        self.heading.setText("Downloading the search model (only this once)")
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(min(1000, done * 1000 // total))
            amount = f"{done / MB:,.0f} of {total / MB:,.0f} MB"
        else:
            self.bar.setRange(0, 0)
            amount = f"{done / MB:,.0f} MB"
        rate = self._rate.bytes_per_second
        parts = [amount]
        if rate > 0:
            parts.append(f"{rate / MB:,.1f} MB/s")
        left = self._rate.seconds_left(done, total)
        if left is not None:
            parts.append(time_left(left))
        self.detail.setText(" — ".join(parts) + "<br>Your photos are listed meanwhile; "
                            "search starts when the model is here.")
        self._buttons(pause="Pause", cancel=True)

    def show_failed(self, message: str, source) -> None:
        paused = self._loader.paused
        self.bar.setVisible(paused)
        self.heading.setText("The download is paused" if paused
                             else "The search model could not be downloaded")
        text = _escaped(message)
        if source is not None and not paused:
            text += (f"<br><br>Without internet: on another computer download "
                     f"<b>{_escaped(source.file_name)}</b> from the model's page "
                     f'<a href="{source.page}">{_escaped(source.page)}</a> (Files tab), '
                     f"bring it here and choose it below. photofinder checks that it is "
                     f"the right file before using it.")
        self.detail.setText(text)
        self._buttons(pause="Resume" if paused else None, retry=not paused,
                      choose=source is not None and not paused)

    def show_checking(self, path: str) -> None:
        self.heading.setText("Checking the chosen file")
        self.bar.setVisible(True)
        self.bar.setRange(0, 0)
        self.detail.setText(f"Is {_escaped(os.path.basename(path))} the right model? "
                            "Reading it takes a few seconds…")
        self._buttons()

    def show_ready(self) -> None:
        self.heading.setText("The search model is ready")
        self.bar.setRange(0, 1000)
        self.bar.setValue(1000)
        self.detail.setText("Your photos are being indexed for search.")
        self._buttons()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the model's weights file",
                                              os.path.expanduser("~"), WEIGHT_FILES)
        if path:
            self._loader.use_file(path)

    def _pause_or_resume(self) -> None:
        if self._loader.paused:
            self._resume()
        else:
            self._loader.pause()

    def _resume(self) -> None:
        self._rate.reset()
        self._loader.retry()

    def _buttons(self, pause: str | None = None, cancel: bool = False, retry: bool = False,
                 choose: bool = False) -> None:
        self.pause_button.setVisible(pause is not None)
        self.pause_button.setText(pause or "")
        self.cancel_button.setVisible(cancel)
        self.retry_button.setVisible(retry)
        self.choose_button.setVisible(choose)


class ModelDownloadUi(QObject):
    """Opens the dialog by itself once, on the first download bytes or the first failure;
    keeps it in step with the loader; ``open`` shows it on request."""

    opened = Signal()

    def __init__(self, loader: ModelLoader, window: QWidget, title: str):
        super().__init__(window)
        self._loader = loader
        self._window = window
        self._title = title
        self._opened_once = False
        self.dialog: ModelDialog | None = None
        loader.download_progress.connect(self._on_progress)
        loader.ready.connect(self._on_ready)
        loader.failed.connect(self._on_failed)
        loader.checking_file.connect(lambda path: self._dialog().show_checking(path))

    def open(self) -> None:
        """Show the dialog in the loader's current state (Help ▸ Get the search model…)."""
        dialog = self._dialog()
        if self._loader.is_failed:
            dialog.show_failed(self._loader.error, self._loader.source)
        elif self._loader.is_ready:
            dialog.show_ready()
        elif not self._loader.is_loading:
            self._loader.retry()
        self._show(dialog)

    def _dialog(self) -> ModelDialog:
        if self.dialog is None:
            self.dialog = ModelDialog(self._loader, self._title, self._window)
        return self.dialog

    def _show_once(self) -> None:
        if not self._opened_once:
            self._show(self._dialog())

    def _show(self, dialog: ModelDialog) -> None:
        self._opened_once = True
        dialog.show()
        self.opened.emit()

    def _on_progress(self, done: int, total: int | None) -> None:
        self._dialog().show_progress(done, total)
        self._show_once()

    def _on_failed(self, message: str) -> None:
        self._dialog().show_failed(message, self._loader.source)
        self._show_once()

    def _on_ready(self) -> None:
        if self.dialog is not None:
            self.dialog.close()


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

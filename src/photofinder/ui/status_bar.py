"""The status bar's permanent parts: indexing (or model switch) progress with pause and cancel,
issues, tile size."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSlider, QWidget

from photofinder.records import IndexProgress
from photofinder.ui.grid import MAX_TILE, MIN_TILE, TILE_STEP
from photofinder.ui.index_controller import IndexState

SWITCH_DOING = "New model: re-indexing"
SWITCH_CANCEL_TIP = "Stop switching models; search keeps using the current one"


def time_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def progress_text(progress: IndexProgress, doing: str = "Indexing") -> str:
    parts = [f"{doing} {progress.done:,} of {progress.total:,}"]
    if progress.photos_per_second > 0:
        parts.append(f"{progress.photos_per_second:.0f} photos/s")
    left = time_left(progress.seconds_left)
    if left:
        parts.append(left)
    return " · ".join(parts)


class IndexStatus(QWidget):
    """Where indexing stands, with pause/resume and cancel; hidden when idle."""

    pause_requested = Signal()
    resume_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(100)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(12)
        self.pause = QPushButton("Pause")
        self.pause.clicked.connect(self._on_pause)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested)
        for widget in (self.label, self.bar, self.pause, self.cancel):
            layout.addWidget(widget)
        self._state = IndexState.IDLE
        self.setVisible(False)

    def set_state(self, state: IndexState) -> None:
        self._state = state
        self.setVisible(state != IndexState.IDLE)
        self.pause.setText("Resume" if state == IndexState.PAUSED else "Pause")
        self.cancel.setToolTip(SWITCH_CANCEL_TIP if state == IndexState.SWITCHING
                               else "Stop indexing; a rescan carries on later")
        if state == IndexState.WAITING:
            self.label.setText("Loading the model…")
            self.bar.setRange(0, 0)
        elif state == IndexState.PAUSED:
            self.label.setText("Indexing paused")
        elif state in (IndexState.RUNNING, IndexState.LISTING):
            self.label.setText("Looking for photos…")
            self.bar.setRange(0, 0)
        elif state == IndexState.SWITCHING:
            self.label.setText("Loading the new model…")
            self.bar.setRange(0, 0)
        elif state == IndexState.REPAIRING:
            self.label.setText("Repairing the index…")
            self.bar.setRange(0, 0)

    def show_progress(self, progress: IndexProgress) -> None:
        if self._state == IndexState.SWITCHING:
            self.label.setText(progress_text(progress, SWITCH_DOING))
        elif self._state in (IndexState.RUNNING, IndexState.REPAIRING):
            self.label.setText(progress_text(progress))
        elif self._state == IndexState.LISTING:
            self.label.setText(progress_text(progress, "Listing (search waits for the model)"))
        else:
            return
        self.bar.setRange(0, max(progress.total, 1))
        self.bar.setValue(progress.done)

    def _on_pause(self) -> None:
        if self._state == IndexState.PAUSED:
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()


class TileSlider(QSlider):
    """Tile size, in pixels."""

    def __init__(self, tile_px: int, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setRange(MIN_TILE, MAX_TILE)
        self.setSingleStep(TILE_STEP)
        self.setPageStep(TILE_STEP * 2)
        self.setValue(tile_px)
        self.setFixedWidth(120)
        self.setToolTip("Thumbnail size (Ctrl+mouse wheel)")
        self.setAccessibleName("Thumbnail size")

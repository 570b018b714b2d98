"""A large preview of one photo; arrow keys step through the grid, Esc closes.

Photos are decoded in a worker at screen size (JPEGs with DCT scaling); when
the user steps faster than photos decode, only the latest one is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout

from photofinder.ui.photo_model import OfflineRole, PhotoRole, ScoreRole
from photofinder.units import human_size
from photofinder.ui.workers import Worker


def read_scaled(path: str, bounds: QSize) -> QImage:
    """Decode a photo upright and no larger than ``bounds`` (worker thread)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    size = reader.size()
    longest = max(bounds.width(), bounds.height())
    if size.isValid() and max(size.width(), size.height()) > longest:
        # the long side fits either way round, whatever the EXIF orientation does
        reader.setScaledSize(size.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


class PreviewDialog(QDialog):
    """Shows the photo at ``index`` of a grid's model; ``current_changed`` follows the steps."""

    current_changed = Signal(QModelIndex)

    def __init__(self, index: QModelIndex, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.setModal(True)
        self.resize(parent.size() * 0.9 if parent else QSize(1000, 700))
        self.setStyleSheet("QDialog { background: #151515; } QLabel { color: #e8e8e8; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 10)
        self.picture = QLabel("Loading…")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.picture, 1)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.caption)
        self._image = QImage()
        self._generation = 0
        self.index = QModelIndex()
        self.show_index(index)

    def show_index(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        self.index = index
        photo = index.data(PhotoRole)
        score = index.data(ScoreRole)
        self.setWindowTitle(photo.name)
        details = [photo.name, f"{photo.taken_at:%d %b %Y, %H:%M}", human_size(photo.size),
                   f"{index.row() + 1} of {index.model().rowCount()}"]
        if score is not None:
            details.insert(3, f"match {score:.3f}")
        self.caption.setText("   ·   ".join(details) + "      ← → to step, Esc to close")
        self._generation += 1
        bounds = self.screen().availableSize() * self.devicePixelRatioF()
        worker = Worker(self._load, self._generation, photo.path, bounds)
        worker.returned.connect(self._on_loaded)
        worker.start()
        self.current_changed.emit(index)

    def step(self, delta: int) -> None:
        row = self.index.row() + delta
        if 0 <= row < self.index.model().rowCount():
            self.show_index(self.index.model().index(row, 0))

    @staticmethod
    def _load(generation: int, path: str, bounds: QSize) -> tuple[int, QImage]:
        return generation, read_scaled(path, bounds)

    def _on_loaded(self, result: tuple[int, QImage]) -> None:
        generation, image = result
        if generation != self._generation:
            return
        self._image = image
        if image.isNull():
            offline = self.index.data(OfflineRole)
            self.picture.setText(f"This photo is offline: connect {offline} to see it." if offline
                                 else "This photo cannot be shown (unreadable or gone).")
        self._fit()

    def _fit(self) -> None:
        if self._image.isNull():
            return
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap.fromImage(self._image.scaled(
            self.picture.size() * ratio, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
        pixmap.setDevicePixelRatio(ratio)
        self.picture.setPixmap(pixmap)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        steps = {Qt.Key.Key_Right: 1, Qt.Key.Key_Left: -1, Qt.Key.Key_Space: 1,
                 Qt.Key.Key_Backspace: -1}
        if event.key() in steps:
            self.step(steps[event.key()])
            event.accept()
            return
        super().keyPressEvent(event)

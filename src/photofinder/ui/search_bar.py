"""The search box and the chips of the query images above the results."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from photofinder.ui.search import QueryImage

CHIP_ICON = 28


class SearchBox(QLineEdit):
    """Always visible; Enter searches at once (Esc is the window's: back to the library)."""

    submitted = Signal()
    paste_requested = Signal()  # Ctrl+V: the window decides whether it is an image

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPlaceholderText("Describe a photo: “dog on a beach”, “red car”…   (Ctrl+F)")
        self.setClearButtonEnabled(True)
        self.setAcceptDrops(False)  # drops go to the window: they are queries, not text
        self.setMinimumHeight(34)
        self.returnPressed.connect(self.submitted)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class QueryChip(QFrame):
    """One query image: a small picture, its name and a remove button."""

    removed = Signal(object)  # the QueryImage

    def __init__(self, image: QueryImage, parent=None):
        super().__init__(parent)
        self.image = image
        self.setObjectName("chip")
        self.setToolTip(image.path or image.label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(6)
        picture = QLabel()
        picture.setFixedSize(CHIP_ICON, CHIP_ICON)
        if image.preview is not None:
            pixmap = QPixmap.fromImage(image.preview)
            side = CHIP_ICON * self.devicePixelRatioF()
            pixmap = pixmap.scaled(QSize(round(side), round(side)),
                                   Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                   Qt.TransformationMode.SmoothTransformation)
            pixmap.setDevicePixelRatio(self.devicePixelRatioF())
            picture.setPixmap(pixmap)
        picture.setScaledContents(False)
        layout.addWidget(picture)
        name = QLabel(self.fontMetrics().elidedText(image.label, Qt.TextElideMode.ElideMiddle, 180))
        layout.addWidget(name)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Remove this image from the query")
        close.setAccessibleName(f"Remove {image.label}")
        close.clicked.connect(lambda: self.removed.emit(self.image))
        layout.addWidget(close)


class QueryChips(QWidget):
    """The row of query images; hidden when the query is text."""

    removed = Signal(object)  # the QueryImage to drop from the query

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._label = QLabel("Photos like:")
        self._layout.addWidget(self._label)
        self._layout.addStretch(1)
        self.setVisible(False)

    def set_images(self, images: list[QueryImage]) -> None:
        while self._layout.count() > 2:
            chip = self._layout.takeAt(1).widget()
            chip.deleteLater()
        for position, image in enumerate(images, start=1):
            chip = QueryChip(image)
            chip.removed.connect(self.removed)
            self._layout.insertWidget(position, chip)
        self.setVisible(bool(images))

    def chips(self) -> list[QueryChip]:
        return [self._layout.itemAt(i).widget() for i in range(1, self._layout.count() - 1)]

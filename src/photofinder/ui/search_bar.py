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


class PartChips(QWidget):
    """The parts of a compound query and its filters, each removable: "circle", "−red",
    "in:holidays", a folder the text named, the folder chosen in the side panel."""

    removed = Signal(str)  # the chip's key: "text:<part in the grammar>", "auto" or "scope"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addStretch(1)
        self.setVisible(False)

    def set_chips(self, chips: list[tuple[str, str]]) -> None:
        """(label, key) of each chip, in order; none hides the row."""
        while self._layout.count() > 1:
            self._layout.takeAt(0).widget().deleteLater()
        for position, (label, key) in enumerate(chips):
            self._layout.insertWidget(position, self._chip(label, key))
        self.setVisible(bool(chips))

    def _chip(self, label: str, key: str) -> QFrame:
        chip = QFrame()
        chip.setObjectName("chip")
        chip.setProperty("chipKey", key)
        layout = QHBoxLayout(chip)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.setSpacing(4)
        layout.addWidget(QLabel(label))
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip(f"Remove “{label}” from the search")
        close.setAccessibleName(f"Remove {label}")
        close.clicked.connect(lambda: self.removed.emit(key))
        layout.addWidget(close)
        return chip

    def keys(self) -> list[str]:
        return [self._layout.itemAt(i).widget().property("chipKey")
                for i in range(self._layout.count() - 1)]

    def remove(self, key: str) -> None:
        """As if the chip's ✕ were clicked."""
        self.removed.emit(key)


def part_chips(found, scope: str | None) -> list[tuple[str, str]]:
    """The chips of a search result: shown when the query is more than one description."""
    query = found.query
    chips = [(_part_label(p), f"text:{p.to_text()}") for p in query.parts]
    chips += [(label, f"text:{text}") for label, text in query.filters.chips()]
    chips += [(f"in {folder_name(f)} (named in the search)", "auto") for f in found.auto_folders[:1]]
    chips += scope_chip(scope)
    simple = len(query.parts) <= 1 and len(chips) == len(query.parts)
    return [] if simple else chips


def _part_label(part) -> str:
    sign = {"require": "+", "exclude": "−"}.get(part.role.value, "")
    weight = f"×{part.weight:g} " if part.weight != 1.0 else ""
    return f"{sign}{weight}{part.text}"


def scope_chip(scope: str | None) -> list[tuple[str, str]]:
    """The removable chip of a folder scope chosen in the side panel."""
    return [(f"in {folder_name(scope)}", "scope")] if scope else []


def folder_name(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1] or path

"""Pages shown instead of a grid: the first-run invitation and plain-word notices."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from photofinder.ui.resources import app_icon


class EmptyLibrary(QWidget):
    """First run: say what photofinder does and invite a folder (button or drop)."""

    add_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("emptyState")
        layout = QVBoxLayout(self)
        layout.setSpacing(14)
        layout.addStretch(3)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(icon)
        title = QLabel("Find any photo by what is in it")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        text = QLabel("Add a folder of photos and photofinder indexes it on this computer.\n"
                      "Then describe what you are looking for, or drop a photo to find similar ones.\n"
                      "Nothing leaves your computer.")
        text.setObjectName("emptyText")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        layout.addWidget(text)
        button = QPushButton("Add a photo folder…")
        button.setObjectName("primaryButton")
        button.setDefault(True)
        button.setMinimumHeight(38)
        button.clicked.connect(self.add_requested)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("or drop a folder anywhere on this window")
        hint.setObjectName("dimLabel")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(hint)
        layout.addStretch(4)
        self.button = button


class Notice(QWidget):
    """A centred line of text, with a busy bar while something is on its way."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.label = QLabel()
        self.label.setObjectName("noticeText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedSize(180, 6)
        layout.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignCenter)
        self.action = QPushButton()  # what the user can do about it, when there is something
        self.action.setVisible(False)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(3)

    def show_text(self, text: str, busy: bool = False) -> None:
        self.label.setText(text)
        self.busy.setVisible(busy)
        self.action.setVisible(False)

    def offer(self, label: str) -> None:
        """Show the action button under the text (until the next text)."""
        self.action.setText(label)
        self.action.setVisible(True)

    @property
    def text(self) -> str:
        return self.label.text()

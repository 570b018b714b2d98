"""The duplicate review: each group of near-duplicates side by side, the best one ticked to
keep, the rest sent to the system trash with Undo.

Finding the groups, decoding the pictures, trashing and undoing all run in workers;
this dialog only shows what they return.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton,
    QScrollArea, QVBoxLayout, QWidget,
)

from photofinder.duplicates import DuplicateGroup
from photofinder.records import Photo
from photofinder.ui.preview import read_scaled
from photofinder.ui.workers import Worker

PICTURE_PX = 180


def describe(photo: Photo) -> str:
    """Size, resolution, date and sharpness: what tells copies apart."""
    sharp = f"sharpness {photo.likeness.sharpness:,.0f}" if photo.likeness else "sharpness ?"
    exif = " · EXIF" if photo.likeness and photo.likeness.has_exif else ""
    return (f"{photo.name}\n{photo.width}×{photo.height} · {photo.size / 1e6:.2f} MB\n"
            f"{photo.taken_at:%Y-%m-%d %H:%M} · {sharp}{exif}")


class _PhotoCard(QFrame):
    """One photo of a group: its picture, what it is, and whether to keep it."""

    def __init__(self, photo: Photo, keep: bool):
        super().__init__()
        self.photo = photo
        self.setObjectName("duplicateCard")
        layout = QVBoxLayout(self)
        self.picture = QLabel("…")
        self.picture.setFixedSize(PICTURE_PX, PICTURE_PX)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.picture)
        details = QLabel(describe(photo))
        details.setToolTip(photo.path)
        layout.addWidget(details)
        self.keep = QCheckBox("Keep (best)" if keep else "Keep")
        self.keep.setChecked(keep)
        layout.addWidget(self.keep)
        worker = Worker(read_scaled, photo.path, QSize(PICTURE_PX, PICTURE_PX))
        worker.returned.connect(self._show)
        worker.start()

    def _show(self, image) -> None:
        if image is not None and not image.isNull():
            self.picture.setPixmap(QPixmap.fromImage(image))


class DuplicateReview(QDialog):
    """Finds near-duplicates of the library (or of one folder) and lets the user clear them."""

    library_changed = Signal()  # photos left or came back: the grid re-reads the library

    def __init__(self, library, messages, folder: str | None = None, parent=None):
        super().__init__(parent)
        self.library = library
        self.messages = messages
        self.folder = folder
        self.cards: list[_PhotoCard] = []
        self.setWindowTitle("Duplicates")
        self.resize(1000, 700)
        layout = QVBoxLayout(self)
        self.summary = QLabel("Looking for near-duplicates…")
        layout.addWidget(self.summary)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        layout.addWidget(self.scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.trash_button = QPushButton("Move to trash")
        self.trash_button.setToolTip("Send every photo not ticked Keep to the system trash")
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Put the photos last sent to the trash back")
        buttons.addButton(self.trash_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.undo_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.trash_button.clicked.connect(self.trash_unkept)
        self.undo_button.clicked.connect(self.undo)
        layout.addWidget(buttons)
        self._set_busy(True)
        self.undo_button.setEnabled(False)
        self.refresh()

    def refresh(self) -> None:
        worker = Worker(self.library.duplicates, self.folder)
        worker.returned.connect(self.show_groups)
        worker.errored.connect(self._failed)
        worker.start()

    def show_groups(self, groups: list[DuplicateGroup]) -> None:
        self.cards = []
        page = QWidget()
        rows = QGridLayout(page)
        for row, group in enumerate(groups):
            title = QLabel(f"{len(group.photos)} photos · {group.reclaimable_bytes / 1e6:.1f} MB to reclaim")
            title.setObjectName("panelTitle")
            rows.addWidget(title, 2 * row, 0)
            line = QHBoxLayout()
            for photo in group.photos:
                card = _PhotoCard(photo, keep=photo is group.keeper)
                self.cards.append(card)
                line.addWidget(card)
            line.addStretch(1)
            rows.addLayout(line, 2 * row + 1, 0)
        rows.setRowStretch(2 * len(groups), 1)
        self.scroll.setWidget(page)
        extra = sum(len(g.extras) for g in groups)
        self.summary.setText(
            f"{len(groups)} groups of near-duplicates; {extra} photos would go to the trash "
            f"({sum(g.reclaimable_bytes for g in groups) / 1e6:.1f} MB)." if groups
            else "No near-duplicates found.")
        self._set_busy(False)

    def unkept(self) -> list[str]:
        return [card.photo.path for card in self.cards if not card.keep.isChecked()]

    def trash_unkept(self) -> None:
        from photofinder.trash import trash_photos

        paths = self.unkept()
        if not paths:
            return
        self._set_busy(True)
        worker = Worker(trash_photos, self.library, paths)
        worker.returned.connect(lambda result: self._done(result, "moved to the trash"))
        worker.errored.connect(self._failed)
        worker.start()

    def undo(self) -> None:
        from photofinder.trash import undo_trash

        self._set_busy(True)
        worker = Worker(undo_trash, self.library)
        worker.returned.connect(lambda result: self._done(result, "put back from the trash"))
        worker.errored.connect(self._failed)
        worker.start()

    def _done(self, result, verb: str) -> None:
        for problem in result.failed:
            self.messages.problem(problem)
        note = f"; {len(result.failed)} could not be (see View ▸ Issues)" if result.failed else ""
        self.messages.info(f"{len(result.done)} photos {verb}{note}")
        self.undo_button.setEnabled(verb == "moved to the trash" and bool(result.done))
        self.library_changed.emit()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.messages.error(exc, "finding duplicates")
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.trash_button.setEnabled(not busy)
        if busy:
            self.undo_button.setEnabled(False)

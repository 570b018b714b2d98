"""The settings dialog: model and weights file, excluded folders, thumbnail size.

The model fields show the model in use; choosing another one does not touch the
settings here: the window switches models in the background, and the library
saves the choice once the photos are re-indexed for it.
"""

from __future__ import annotations

import os
from typing import Sequence

from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QListWidget, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from photofinder.config import Settings
from photofinder.embedder import ModelSpec
from photofinder.hardware import importable
from photofinder.model_catalog import known_model, offered_models
from photofinder.ui.grid import MAX_TILE, MIN_TILE, TILE_STEP

OTHER_MODEL = "Other open_clip model…"
WEIGHT_FILES = "Model weights (*.pt *.pth *.bin *.safetensors);;All files (*)"


class SettingsDialog(QDialog):
    """Edits a copy of the choices; ``apply`` writes them into a Settings object,
    ``excluded_folders`` and ``chosen_model`` say which folders and model the user wants."""

    def __init__(self, settings: Settings, model: ModelSpec, excluded: Sequence[str] = (),
                 parent=None, runs_on: str = ""):
        super().__init__(parent)
        self.setWindowTitle("photofinder settings")
        self.setMinimumWidth(560)
        self._model = model
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.known = QComboBox()
        # without torch (the torch-free bundle): the models with a published ONNX export,
        # and no weights file of one's own
        with_torch = importable("open_clip")
        offered = offered_models(with_torch)
        for known in offered:
            self.known.addItem(known.describe(), known)
        self.known.addItem(OTHER_MODEL, None)
        current = known_model(model.arch, model.pretrained)
        self.known.setCurrentIndex(offered.index(current) if current in offered and not model.weights
                                   else len(offered))
        form.addRow("Model:", self.known)
        self.model = QLineEdit(model.arch)
        self.model.setPlaceholderText("open_clip architecture, e.g. ViT-B-32-256")
        self.pretrained = QLineEdit(model.pretrained)
        self.pretrained.setPlaceholderText("pretrained tag, downloaded on first use")
        self.weights = QLineEdit(model.weights)
        self.weights.setPlaceholderText("optional: a local weights file, used instead of downloading")
        self._expert_rows = [(QLabel("open_clip model:"), self.model),
                             (QLabel("Pretrained tag:"), self.pretrained)]
        if with_torch:
            self._expert_rows.append((QLabel("Weights file:"), self._with_button(
                self.weights, "Choose…", self._choose_weights)))
        for label, field in self._expert_rows:
            form.addRow(label, field)
        self.known.currentIndexChanged.connect(self._show_expert_fields)
        self._show_expert_fields()
        runs = QLabel(runs_on or "not loaded yet (it loads for the first search or indexing)")
        runs.setWordWrap(True)
        form.addRow("Runs on:", runs)
        self.excluded = QListWidget()
        self.excluded.addItems(list(excluded))
        self.excluded.setMaximumHeight(110)
        form.addRow("Excluded folders:", self._excluded_editor())
        self.tile = QSpinBox()
        self.tile.setRange(MIN_TILE, MAX_TILE)
        self.tile.setSingleStep(TILE_STEP)
        self.tile.setSuffix(" px")
        self.tile.setValue(settings.thumbnail_size)
        form.addRow("Thumbnail size:", self.tile)
        self.allow_other_apps = QCheckBox("Allow other apps to search (HTTP API on this computer, "
                                          "with the token `photofinder api-token` shows)")
        self.allow_other_apps.setChecked(settings.allow_other_apps)
        form.addRow("", self.allow_other_apps)
        layout.addLayout(form)
        note = QLabel(self._note())
        note.setWordWrap(True)
        note.setObjectName("dimLabel")
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen_model(self) -> ModelSpec:
        known = self.known.currentData()
        if known is not None:
            return ModelSpec(known.arch, known.pretrained)
        return ModelSpec(self.model.text().strip() or self._model.arch,
                         self.pretrained.text().strip(), self.weights.text().strip())

    def _show_expert_fields(self) -> None:
        """The open_clip names and a weights file, for "other open_clip model…" only."""
        expert = self.known.currentData() is None
        for label, field in self._expert_rows:
            label.setVisible(expert)
            field.setVisible(expert)

    def excluded_folders(self) -> list[str]:
        """The excluded folders as listed (the library keeps them in its user store)."""
        return [self.excluded.item(i).text() for i in range(self.excluded.count())]

    def apply(self, settings: Settings) -> set[str]:
        """Copy the dialog's values, but the model and the excluded folders, into
        ``settings``; returns the names of fields that changed."""
        values = {"thumbnail_size": self.tile.value(),
                  "allow_other_apps": self.allow_other_apps.isChecked()}
        changed = {name for name, value in values.items() if getattr(settings, name) != value}
        for name in changed:
            setattr(settings, name, values[name])
        return changed

    @staticmethod
    def _note() -> str:
        overridden = [name for name in ("PHOTOFINDER_MODEL", "PHOTOFINDER_WEIGHTS") if os.environ.get(name)]
        note = ("Choosing another model or weights file indexes the photos again for it, in the "
                "background; search keeps using the current model until that is done. "
                "Excluded folders apply to the next scan.")
        if overridden:
            note += (f" {' and '.join(overridden)} set in the environment override the saved "
                     "model at the next start.")
        return note

    def _with_button(self, field: QLineEdit, label: str, action) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(field, 1)
        button = QPushButton(label)
        button.clicked.connect(action)
        layout.addWidget(button)
        return row

    def _excluded_editor(self) -> QWidget:
        editor = QWidget()
        layout = QHBoxLayout(editor)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.excluded, 1)
        buttons = QVBoxLayout()
        add = QPushButton("Add…")
        add.clicked.connect(self._add_excluded)
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.excluded.takeItem(self.excluded.currentRow()))
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        return editor

    def _choose_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a weights file",
                                              os.path.dirname(self.weights.text()), WEIGHT_FILES)
        if path:
            self.weights.setText(path)

    def _add_excluded(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Exclude a folder")
        if folder:
            self.excluded.addItem(folder)

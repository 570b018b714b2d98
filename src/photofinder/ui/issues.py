"""The Issues panel: files that were skipped, each with its reason, and a way to copy them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from photofinder.records import FileProblem

MAX_ROWS = 10_000  # a broken network share must not grow the table without end


class IssuesDock(QDockWidget):
    """A dock listing skipped files; hidden until the user opens it."""

    count_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__("Issues", parent)
        self.setObjectName("issuesDock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 0, 6, 6)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["File", "Why it was skipped"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        copy = QPushButton("Copy list")
        copy.clicked.connect(self.copy_all)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        buttons.addWidget(copy)
        buttons.addWidget(clear)
        layout.addLayout(buttons)
        self.setWidget(body)

    def add(self, problem: FileProblem) -> None:
        if self.table.rowCount() >= MAX_ROWS:
            return
        row = self.table.rowCount()
        self.table.insertRow(row)
        path_item = QTableWidgetItem(problem.path)
        path_item.setToolTip(problem.path)
        self.table.setItem(row, 0, path_item)
        self.table.setItem(row, 1, QTableWidgetItem(problem.reason))
        self.count_changed.emit(self.table.rowCount())

    def problems(self) -> list[FileProblem]:
        return [FileProblem(self.table.item(r, 0).text(), self.table.item(r, 1).text())
                for r in range(self.table.rowCount())]

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(map(str, self.problems())))

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.count_changed.emit(0)

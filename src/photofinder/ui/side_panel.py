"""What the side panel's sections share: a title over a flat list of icon rows."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget


def section_layout(section: QWidget, name: str, title: str, rows: QListWidget,
                   top_margin: int) -> QVBoxLayout:
    """Lay ``section`` out as its title over ``rows``; the caller adds its buttons below."""
    section.setObjectName(name + "Panel")
    layout = QVBoxLayout(section)
    layout.setContentsMargins(0, top_margin, 6, 10)
    layout.setSpacing(8)
    heading = QLabel(title)
    heading.setObjectName("panelTitle")
    layout.addWidget(heading)
    rows.setObjectName(name + "List")
    rows.setIconSize(QSize(20, 20))
    rows.setFrameShape(QListWidget.Shape.NoFrame)
    rows.setSpacing(2)
    return layout

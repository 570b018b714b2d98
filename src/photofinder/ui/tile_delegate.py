"""A tile of the photo grid: the selection frame, the thumbnail (or a placeholder), the
stars and heart, and an "offline" badge on a dimmed photo of an offline folder.

It paints a cached pixmap or a placeholder and never decodes.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photofinder.ui.marks import paint_mark
from photofinder.ui.photo_model import MarkRole, OfflineRole

GAP = 8  # pixels between tiles
RADIUS = 6
PLACEHOLDER = QColor(0, 0, 0, 18)
OFFLINE_OPACITY = 0.35  # how much of an offline photo shows through
BADGE = QColor(40, 40, 40, 210)
BADGE_TEXT = QColor("white")


class TileDelegate(QStyledItemDelegate):
    """Paints one tile, centred in its cell: selection frame, then the thumbnail or a placeholder."""

    def __init__(self, tile_px: int, parent=None):
        super().__init__(parent)
        self.tile_px = tile_px
        self.cell = QSize(tile_px + GAP, tile_px + GAP)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self.cell

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        frame = QRect(QPoint(0, 0), QSize(self.tile_px, self.tile_px))
        frame.moveCenter(QRect(option.rect.topLeft(), self.cell).center())
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            colour = option.palette.color(QPalette.ColorRole.Highlight)
            if not selected:
                colour.setAlpha(60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(frame.adjusted(-3, -3, 3, 3), RADIUS + 2, RADIUS + 2)
        offline = bool(index.data(OfflineRole))
        if offline:
            painter.setOpacity(OFFLINE_OPACITY)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        picture = frame
        if pixmap is None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(PLACEHOLDER)
            painter.drawRoundedRect(frame, RADIUS, RADIUS)
        else:
            picture = self._paint_pixmap(painter, frame, pixmap)
        paint_mark(painter, picture, index.data(MarkRole))
        if offline:
            painter.setOpacity(1.0)
            self._paint_offline_badge(painter, frame)
        if option.state & QStyle.StateFlag.State_HasFocus and selected:
            painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(frame.adjusted(-1, -1, 1, 1), RADIUS, RADIUS)
        painter.restore()

    @staticmethod
    def _paint_pixmap(painter: QPainter, frame: QRect, pixmap) -> QRect:
        """Draws the thumbnail fitted and centred in ``frame``; returns where it went."""
        size = pixmap.deviceIndependentSize().toSize().scaled(frame.size(),
                                                              Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(QPoint(0, 0), size)
        target.moveCenter(frame.center())
        clip = QPainterPath()
        clip.addRoundedRect(target, RADIUS - 2, RADIUS - 2)
        painter.save()
        painter.setClipPath(clip)
        painter.drawPixmap(target, pixmap)
        painter.restore()
        return target

    @staticmethod
    def _paint_offline_badge(painter: QPainter, frame: QRect) -> None:
        """A small dark label in the bottom-left corner: the photo's folder is not connected."""
        font = QFont(painter.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        font.setBold(True)
        painter.setFont(font)
        text = "offline"
        metrics = painter.fontMetrics()
        badge = QRect(0, 0, metrics.horizontalAdvance(text) + 10, metrics.height() + 4)
        badge.moveBottomLeft(frame.bottomLeft() + QPoint(4, -4))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(BADGE_TEXT)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

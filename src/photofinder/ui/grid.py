"""The thumbnail grid: a QListView in icon mode and a delegate that paints tiles.

Uniform item sizes, a fixed grid and per-pixel scrolling keep 100,000 tiles
cheap: the view lays out by arithmetic and paints only what is visible, and
the delegate paints a cached pixmap or a placeholder (never decodes). The view
paints all visible tiles in one Python call (see ``PhotoGrid.paintEvent``), and
sees its model through a C++ proxy (see ``PhotoGrid.setModel``). Photos added
or removed while the user looks further down leave the photos in view where
they are.
Tiles of an offline folder are dimmed and carry an "offline" badge.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel, QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize,
    QSortFilterProxyModel, Qt, QTimer, Signal,
)
from PySide6.QtGui import (
    QColor, QCursor, QFont, QKeyEvent, QPainter, QPainterPath, QPaintEvent, QPalette, QWheelEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from photofinder.records import Photo
from photofinder.ui.marks import paint_mark, paint_month
from photofinder.ui.photo_model import MarkRole, MonthRole, OfflineRole, PhotoRole

MIN_TILE = 96
MAX_TILE = 320
TILE_STEP = 16
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
        paint_month(painter, picture, index.data(MonthRole))
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


class PhotoGrid(QListView):
    """A grid of photo tiles; tells the window what the user asks for, does no work itself."""

    preview_requested = Signal(QModelIndex)
    menu_requested = Signal(list, QPoint)  # selected photos, global position
    zoom_requested = Signal(int)  # +1 bigger, -1 smaller

    def __init__(self, tile_px: int, parent=None):
        super().__init__(parent)
        self._tile_px = tile_px
        self.delegate = TileDelegate(tile_px, self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # the fast list layout, not free icons
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self._rows = QSortFilterProxyModel(self)  # see setModel
        self._rows.setDynamicSortFilter(False)
        self._source: QAbstractItemModel | None = None
        self._place: tuple[QPersistentModelIndex, int] | None = None  # see _hold_place
        for before in (self._rows.rowsAboutToBeInserted, self._rows.rowsAboutToBeRemoved,
                       self._rows.layoutAboutToBeChanged):
            before.connect(self._hold_place)
        for after in (self._rows.rowsInserted, self._rows.rowsRemoved, self._rows.layoutChanged):
            after.connect(self._keep_place_soon)
        self._rows.modelAboutToBeReset.connect(self._forget_place)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self.doubleClicked.connect(self.preview_requested)
        self.set_tile_size(tile_px)

    def setModel(self, model: QAbstractItemModel) -> None:
        """Show ``model`` through a C++ proxy. QListView's layout asks the model's rowCount()
        twice for each row; in Python that made every photo added to a 100,000-photo grid
        cost a 220 ms layout on the GUI thread, through the proxy 14 ms."""
        self._source = model  # kept alive as long as the proxy shows it
        self._rows.setSourceModel(model)
        super().setModel(self._rows)

    def photo_model(self) -> QAbstractItemModel:
        """The model given to ``setModel`` (its rows are the view's rows)."""
        return self._source

    def _hold_place(self, *_args) -> None:
        """Rows are about to come or go: remember the photo at the top left and its height,
        unless the view is at the very top (where newly added photos should show)."""
        if self._place is not None or self.verticalScrollBar().value() == 0:
            return
        cell = self.gridSize()
        top = self.indexAt(QPoint(cell.width() // 2, cell.height() // 2))
        if top.isValid():
            self._place = (QPersistentModelIndex(top), self.visualRect(top).top())
            self.viewport().setUpdatesEnabled(False)  # no frame shows the rows moved

    def _keep_place_soon(self, *_args) -> None:
        """A burst of changes (a removal of scattered photos comes range by range) is laid
        out once."""
        if self._place is not None:
            QTimer.singleShot(0, self, self._keep_place)  # not after this view is gone

    def _keep_place(self) -> None:
        """Scroll so the remembered photo is where it was (it may have been removed)."""
        if self._place is None:
            return
        anchor, height = self._place
        self._forget_place()
        if not anchor.isValid():
            return
        self.executeDelayedItemsLayout()
        rect = self.visualRect(self._rows.index(anchor.row(), 0))
        if rect.isValid():
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + rect.top() - height)

    def _forget_place(self) -> None:
        """Also before a reset: a new set of photos starts at the top."""
        self._place = None
        self.viewport().setUpdatesEnabled(True)

    def set_tile_size(self, tile_px: int) -> None:
        self._tile_px = tile_px
        self.verticalScrollBar().setSingleStep(max(24, tile_px // 3))
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Fill the width: as many columns as tiles of about the chosen size, stretched to fit
        (thumbnails are made at the chosen size; the delegate scales them the last few pixels)."""
        width = self.viewport().width() - 1
        columns = max(1, round(width / (self._tile_px + GAP)))
        side = max(MIN_TILE // 2, width // columns)
        cell = QSize(side, side)
        if cell != self.gridSize():
            self.delegate.tile_px = side - GAP
            self.delegate.cell = cell
            self.setGridSize(cell)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def selected_photos(self) -> list[Photo]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(r, 0).data(PhotoRole) for r in rows]

    def visible_tiles(self) -> int:
        grid = self.gridSize()
        area = self.viewport().size()
        return max(1, (area.width() // grid.width() + 1) * (area.height() // grid.height() + 1))

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the visible tiles in one call into Python. Qt's own loop calls Python twice per
        tile (flags, paint), and each call must win the GIL back from any busy worker thread,
        up to 5 ms a time: 20 tiles made a 150 ms frame while indexing ran."""
        if self.state() == QAbstractItemView.State.DragSelectingState:
            super().paintEvent(event)  # Qt keeps the rubber band's rectangle to itself
            return
        model = self.model()
        if model is None:
            return
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        base_state = option.state
        enabled = bool(base_state & QStyle.StateFlag.State_Enabled)
        option.palette.setCurrentColorGroup(QPalette.ColorGroup.Normal if enabled
                                            else QPalette.ColorGroup.Disabled)
        current = self.currentIndex()
        focus = (self.hasFocus() or self.viewport().hasFocus()) and current.isValid()
        hover = self._hovered_index()
        selection = self.selectionModel()
        painter = QPainter(self.viewport())
        for index in self._indexes_in(event.rect()):
            option.rect = self.visualRect(index)
            state = base_state
            if selection is not None and selection.isSelected(index):
                state |= QStyle.StateFlag.State_Selected
            if focus and index == current:
                state |= QStyle.StateFlag.State_HasFocus
            if index == hover:
                state |= QStyle.StateFlag.State_MouseOver
            option.state = state
            self.delegate.paint(painter, option, index)
        painter.end()

    def _indexes_in(self, area: QRect):
        """The tiles meeting ``area`` (viewport coordinates), in model order: from the first
        tile of the row at the area's top (left or right to left) to the row at its bottom."""
        top = max(0, area.top())
        step = self.gridSize().width() or self.viewport().width()
        in_top_row = [self.indexAt(QPoint(x, top)) for x in range(0, self.viewport().width(), step)]
        rows = [index.row() for index in in_top_row if index.isValid()]
        if not rows:
            return
        model, first = self.model(), min(rows)
        end = min(model.rowCount(), first + self.visible_tiles() + len(in_top_row))
        for row in range(first, end):  # never more than a screen, even while Qt lays out
            index = model.index(row, 0)
            rect = self.visualRect(index)
            if rect.top() > area.bottom():
                return
            if rect.intersects(area):
                yield index

    def _hovered_index(self) -> QModelIndex:
        viewport = self.viewport()
        if not viewport.underMouse():
            return QModelIndex()
        return self.indexAt(viewport.mapFromGlobal(QCursor.pos()))

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y()
            if steps:
                self.zoom_requested.emit(1 if steps > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.currentIndex().isValid():
            self.preview_requested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_menu(self, position: QPoint) -> None:
        index = self.indexAt(position)
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        self.menu_requested.emit(self.selected_photos(), self.viewport().mapToGlobal(position))

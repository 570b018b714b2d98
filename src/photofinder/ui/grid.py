"""The thumbnail grid: square tiles (painted by ``tile_delegate.TileDelegate``) under
header rows (months, a query image's results).

The view lays out by arithmetic over its sections (``grid_layout.GridLayout``), not per
tile, so 100,000 tiles cost as much as their few hundred months; it paints only what is
visible, all visible tiles in one Python call (see ``PhotoGrid.paintEvent``). It sees its
model through a C++ proxy (see ``PhotoGrid.setModel``). Photos added or removed while the user
looks further down leave the photos in view where they are. Dragging the scroll bar
shows the month (or group) at that place.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel, QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex,
    QPoint, QRect, QSize, QSortFilterProxyModel, Qt, QTimer, Signal,
)
from PySide6.QtGui import (
    QCursor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QRegion, QWheelEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QFrame, QStyle, QStyleOptionViewItem, QToolTip

from photofinder.records import Photo
from photofinder.ui.grid_layout import GridLayout, Section
from photofinder.ui.photo_model import PhotoRole
from photofinder.ui.tile_delegate import GAP, TileDelegate

MIN_TILE = 96
MAX_TILE = 320
TILE_STEP = 16


class PhotoGrid(QAbstractItemView):
    """A grid of photo tiles under header rows; tells the window what the user asks for,
    does no work itself."""

    preview_requested = Signal(QModelIndex)
    menu_requested = Signal(list, QPoint)  # selected photos, global position
    zoom_requested = Signal(int)  # +1 bigger, -1 smaller

    def __init__(self, tile_px: int, parent=None):
        super().__init__(parent)
        self._tile_px = tile_px
        self._columns = 1
        self._layout: GridLayout | None = None  # built when first asked after a change
        self._band: tuple[QPoint, QPoint] | None = None  # the rubber band, content coordinates
        self.delegate = TileDelegate(tile_px, self)
        self.setItemDelegate(self.delegate)
        self._rows = QSortFilterProxyModel(self)  # see setModel
        self._rows.setDynamicSortFilter(False)
        self._source: QAbstractItemModel | None = None
        self._place: tuple[QPersistentModelIndex, int] | None = None  # see _hold_place
        for before in (self._rows.rowsAboutToBeInserted, self._rows.rowsAboutToBeRemoved,
                       self._rows.layoutAboutToBeChanged):
            before.connect(self._hold_place)
        for after in (self._rows.rowsInserted, self._rows.rowsRemoved, self._rows.layoutChanged):
            after.connect(self._keep_place_soon)
        for changed in (self._rows.rowsInserted, self._rows.rowsRemoved, self._rows.layoutChanged,
                        self._rows.modelReset):
            changed.connect(self._lay_out_again)
        self._rows.modelAboutToBeReset.connect(self._forget_place)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self.doubleClicked.connect(self.preview_requested)
        self.verticalScrollBar().sliderMoved.connect(self._show_scrub_place)
        self.set_tile_size(tile_px)

    def setModel(self, model: QAbstractItemModel) -> None:
        """Show ``model`` through a C++ proxy: the view's own calls (rowCount, index) stay
        in C++ (QListView's layout asked rowCount() twice for each row: in Python that made
        every photo added to a 100,000-photo grid cost a 220 ms layout, through the proxy
        14 ms). The model's ``sections()`` give the header rows."""
        self._source = model  # kept alive as long as the proxy shows it
        self._rows.setSourceModel(model)
        super().setModel(self._rows)
        self._lay_out_again()

    def photo_model(self) -> QAbstractItemModel:
        """The model given to ``setModel`` (its rows are the view's rows)."""
        return self._source

    # --- layout --------------------------------------------------------------------------

    def grid_layout(self) -> GridLayout:
        if self._layout is None:
            sections = getattr(self._source, "sections", list)() if self._source else []
            self._layout = GridLayout.of(self._rows.rowCount(), self._columns,
                                         self.gridSize().width(), sections, self.header_height())
        return self._layout

    def header_height(self) -> int:
        return self.fontMetrics().height() * 2 + 12

    def _lay_out_again(self, *_args) -> None:
        self._layout = None
        self.scheduleDelayedItemsLayout()

    def gridSize(self) -> QSize:
        return self.delegate.cell

    def updateGeometries(self) -> None:
        layout = self.grid_layout()
        bar, height = self.verticalScrollBar(), self.viewport().height()
        bar.setPageStep(height)
        bar.setRange(0, max(0, layout.height - height))
        super().updateGeometries()

    def visualRect(self, index: QModelIndex) -> QRect:
        if not index.isValid() or index.model() is not self._rows:
            return QRect()
        x, y = self.grid_layout().position(index.row())
        cell = self.gridSize().width()
        if self.isRightToLeft():
            x = self.viewport().width() - x - cell
        return QRect(x, y - self.verticalOffset(), cell, cell)

    def indexAt(self, point: QPoint) -> QModelIndex:
        x = self.viewport().width() - 1 - point.x() if self.isRightToLeft() else point.x()
        row = self.grid_layout().row_at(x, point.y() + self.verticalOffset())
        return QModelIndex() if row is None else self._rows.index(row, 0)

    def section_at_top(self) -> Section | None:
        """The section (month, query image) at the top of the view; None without headers."""
        layout = self.grid_layout()
        if not layout.header:
            return None
        return layout.sections[layout.section_at(self.verticalOffset())]

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: QModelIndex) -> bool:
        return False

    def scrollTo(self, index: QModelIndex,
                 hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        rect = self.visualRect(index)
        if not rect.isValid():
            return
        layout = self.grid_layout()
        section = layout.sections[layout.section_of(index.row())]
        if index.row() - section.start < layout.columns:
            rect.setTop(rect.top() - layout.header)  # a section's first line: its header too
        bar, height = self.verticalScrollBar(), self.viewport().height()
        hints = QAbstractItemView.ScrollHint
        if hint == hints.PositionAtTop or (hint == hints.EnsureVisible and rect.top() < 0):
            bar.setValue(bar.value() + rect.top())
        elif hint == hints.PositionAtBottom or (hint == hints.EnsureVisible
                                                 and rect.bottom() > height):
            bar.setValue(bar.value() + rect.bottom() - height + 1)
        elif hint == hints.PositionAtCenter:
            bar.setValue(bar.value() + rect.center().y() - height // 2)

    def moveCursor(self, action: QAbstractItemView.CursorAction,
                   modifiers: Qt.KeyboardModifier) -> QModelIndex:
        rows = self._rows.rowCount()
        if not rows:
            return QModelIndex()
        current = self.currentIndex()
        if not current.isValid():
            return self._rows.index(0, 0)
        row, layout, moves = current.row(), self.grid_layout(), QAbstractItemView.CursorAction
        forward = -1 if self.isRightToLeft() else 1
        page = max(1, self.viewport().height() // self.gridSize().height())
        target = {
            moves.MoveLeft: lambda: row - forward, moves.MoveRight: lambda: row + forward,
            moves.MovePrevious: lambda: row - 1, moves.MoveNext: lambda: row + 1,
            moves.MoveUp: lambda: layout.row_beside(row, -1),
            moves.MoveDown: lambda: layout.row_beside(row, 1),
            moves.MovePageUp: lambda: layout.row_beside(row, -page),
            moves.MovePageDown: lambda: layout.row_beside(row, page),
            moves.MoveHome: lambda: 0, moves.MoveEnd: lambda: rows - 1,
        }.get(action, lambda: row)()
        return self._rows.index(min(max(0, target), rows - 1), 0)

    def setSelection(self, rect: QRect, command: QItemSelectionModel.SelectionFlag) -> None:
        """Select the tiles meeting ``rect`` (a click's point or the rubber band), as one
        range per line of tiles."""
        rect = rect.normalized()
        selection = QItemSelection()
        run: list[int] = []
        for row in self.grid_layout().rows_between(rect.top() + self.verticalOffset(),
                                                   rect.bottom() + self.verticalOffset()):
            if not self.visualRect(self._rows.index(row, 0)).intersects(rect):
                continue
            if run and row != run[-1] + 1:
                selection.select(self._rows.index(run[0], 0), self._rows.index(run[-1], 0))
                run = []
            run.append(row)
        if run:
            selection.select(self._rows.index(run[0], 0), self._rows.index(run[-1], 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        """The lines each selected range spans (a range may hold 100,000 rows: no loop)."""
        region, width = QRegion(), self.viewport().width()
        for selected in selection:
            top = self.visualRect(self._rows.index(selected.top(), 0))
            bottom = self.visualRect(self._rows.index(selected.bottom(), 0))
            region += QRect(0, top.top(), width, bottom.bottom() - top.top() + 1)
        return region

    # --- keeping the place -----------------------------------------------------------------

    def _hold_place(self, *_args) -> None:
        """Rows are about to come or go: remember the photo at the top left and its height,
        unless the view is at the very top (where newly added photos should show)."""
        if self._place is not None or self.verticalScrollBar().value() == 0:
            return
        cell = self.gridSize()
        top = QModelIndex()
        for y in range(cell.height() // 2, self.viewport().height(), cell.height()):
            top = self.indexAt(QPoint(cell.width() // 2, y))  # below any header
            if top.isValid():
                break
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

    # --- size ------------------------------------------------------------------------------

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
        if cell != self.gridSize() or columns != self._columns:
            self.delegate.tile_px = side - GAP
            self.delegate.cell = cell
            self._columns = columns
            self._lay_out_again()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()
        self.updateGeometries()

    def selected_photos(self) -> list[Photo]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        model = self.model()
        return [model.index(r, 0).data(PhotoRole) for r in rows]

    def visible_tiles(self) -> int:
        grid = self.gridSize()
        area = self.viewport().size()
        return max(1, (area.width() // grid.width() + 1) * (area.height() // grid.height() + 1))

    # --- painting --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the visible headers and tiles in one call into Python. Qt's own item loops
        call Python twice per tile (flags, paint), and each call must win the GIL back from
        any busy worker thread, up to 5 ms a time: 20 tiles made a 150 ms frame while
        indexing ran."""
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
        area = event.rect()
        painter = QPainter(self.viewport())
        offset = self.verticalOffset()
        layout = self.grid_layout()
        for section, top in layout.headers_between(area.top() + offset, area.bottom() + offset):
            self._paint_header(painter, section, QRect(0, top - offset, self.viewport().width(),
                                                       layout.header))
        for row in layout.rows_between(area.top() + offset, area.bottom() + offset):
            index = model.index(row, 0)
            option.rect = self.visualRect(index)
            if not option.rect.intersects(area):
                continue
            state = base_state
            if selection is not None and selection.isSelected(index):
                state |= QStyle.StateFlag.State_Selected
            if focus and index == current:
                state |= QStyle.StateFlag.State_HasFocus
            if index == hover:
                state |= QStyle.StateFlag.State_MouseOver
            option.state = state
            self.delegate.paint(painter, option, index)
        if self._band is not None:
            self._paint_band(painter)
        painter.end()

    def _paint_header(self, painter: QPainter, section: Section, rect: QRect) -> None:
        """A header row across the grid: the query image (if any), the title, a rule below."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        text = rect.adjusted(GAP // 2 + 4, 4, -8, -4)
        if section.image is not None and not section.image.isNull():
            side = text.height()
            picture = section.image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation)
            spot = QRect(text.left(), text.top() + (side - picture.height()) // 2,
                         picture.width(), picture.height())
            if self.isRightToLeft():
                spot.moveRight(text.right())
            painter.drawImage(spot, picture)
            if self.isRightToLeft():
                text.setRight(spot.left() - 8)
            else:
                text.setLeft(spot.right() + 8)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        palette = self.palette()
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        align = Qt.AlignmentFlag.AlignVCenter | (Qt.AlignmentFlag.AlignRight if self.isRightToLeft()
                                                 else Qt.AlignmentFlag.AlignLeft)
        painter.drawText(text, align, section.title)
        rule = palette.color(QPalette.ColorRole.Mid)
        rule.setAlpha(120)
        painter.setPen(rule)
        painter.drawLine(rect.left() + GAP // 2, rect.bottom() - 2, rect.right() - GAP // 2,
                         rect.bottom() - 2)
        painter.restore()

    def _paint_band(self, painter: QPainter) -> None:
        start, end = self._band
        offset = QPoint(0, self.verticalOffset())
        band = QRect(start - offset, end - offset).normalized()
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setPen(colour)
        colour.setAlpha(50)
        painter.setBrush(colour)
        painter.drawRect(band)

    # --- the mouse and keys ----------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        on_tile = self.indexAt(event.position().toPoint()).isValid()
        if event.button() == Qt.MouseButton.LeftButton and not on_tile:
            start = event.position().toPoint() + QPoint(0, self.verticalOffset())
            self._band = (start, start)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        if self._band is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._band = (self._band[0], event.position().toPoint()
                          + QPoint(0, self.verticalOffset()))
            self.viewport().update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if self._band is not None:
            self._band = None
            self.viewport().update()

    def _show_scrub_place(self, value: int) -> None:
        """The date scrubber: while the scroll bar is dragged, the month (or group) there."""
        layout = self.grid_layout()
        if layout.header:
            title = layout.sections[layout.section_at(value)].title
            QToolTip.showText(QCursor.pos(), title, self.verticalScrollBar())

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

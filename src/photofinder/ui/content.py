"""The right side of the window: what a query shows, above one of four pages.

Pages: the first-run invitation, the library grid, the results grid, and a
notice (loading, nothing found). Library and results keep separate views, so
going back to the library (Esc) returns to where the user was.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from photofinder.ui.empty_state import EmptyLibrary, Notice
from photofinder.ui.grid import PhotoGrid
from photofinder.ui.photo_model import LibraryModel, PhotoListModel, PhotoRole
from photofinder.ui.search import SearchResult
from photofinder.ui.search_bar import PartChips, QueryChips, part_chips


class ContentArea(QWidget):
    """Switches between the pages; holds no data beyond what it shows."""

    back_requested = Signal()
    weaker_requested = Signal()  # "Show N weaker matches"

    def __init__(self, library_model: LibraryModel, results_model: PhotoListModel, tile_px: int,
                 parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.chips = QueryChips()
        layout.addWidget(self.chips)
        self.part_chips = PartChips()
        layout.addWidget(self.part_chips)
        header = QHBoxLayout()
        header.setContentsMargins(4, 0, 4, 0)
        self.heading = QLabel()
        self.heading.setObjectName("heading")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        header.addWidget(self.heading, 1)
        self.weaker_link = QLabel()
        self.weaker_link.setObjectName("dimLabel")
        self.weaker_link.linkActivated.connect(self.weaker_requested)
        self.weaker_link.setVisible(False)
        header.addWidget(self.weaker_link)
        self.back_link = QLabel('<a href="#">Back to all photos</a>  <span>(Esc)</span>')
        self.back_link.setObjectName("dimLabel")
        self.back_link.linkActivated.connect(self.back_requested)
        header.addWidget(self.back_link)
        layout.addLayout(header)
        self.pages = QStackedWidget()
        self.empty = EmptyLibrary()
        self.library_grid = PhotoGrid(tile_px)
        self.library_grid.setModel(library_model)
        self.results_grid = PhotoGrid(tile_px)
        self.results_grid.setModel(results_model)
        self.notice = Notice()
        for page in (self.empty, self.library_grid, self.results_grid, self.notice):
            self.pages.addWidget(page)
        layout.addWidget(self.pages, 1)
        self._results_model = results_model
        self._library_count = 0
        self.library_grid.verticalScrollBar().valueChanged.connect(self._on_library_scrolled)

    @property
    def grids(self) -> tuple[PhotoGrid, PhotoGrid]:
        return self.library_grid, self.results_grid

    def current_grid(self) -> PhotoGrid | None:
        page = self.pages.currentWidget()
        return page if isinstance(page, PhotoGrid) else None

    def show_empty(self) -> None:
        self._set_heading("", back=False)
        self.pages.setCurrentWidget(self.empty)

    def show_library(self, count: int) -> None:
        self._library_count = count
        self.pages.setCurrentWidget(self.library_grid)
        self._set_heading(self._library_heading(), back=False)

    def _library_heading(self) -> str:
        """The count, and the month at the top of the view as it scrolls."""
        top = self.library_grid.indexAt(QPoint(8, 8))
        photo = top.data(PhotoRole) if top.isValid() else None
        month = f"{photo.taken_at:%B %Y}" if photo is not None else ""
        return f"All photos · {self._library_count:,}, newest first" + (f" · {month}" if month else "")

    def _on_library_scrolled(self, _value: int) -> None:
        if self.pages.currentWidget() is self.library_grid:
            self.heading.setText(self._library_heading())

    def show_results(self, result: SearchResult, scope: str | None = None) -> None:
        found = result.found
        self._results_model.set_photos([h.photo for h in result.hits], [h.score for h in result.hits])
        self.part_chips.set_chips(part_chips(found, scope))
        weaker = (f'<a href="#">Show {found.weaker:,} weaker matches</a>' if found.weaker else "")
        if not result.hits:
            self.show_notice(f"No good matches {result.query.describe()}.\n"
                             + ("Show the weaker matches, or try other words."
                                if found.weaker else "Try other words, or add the folder that "
                                "holds the photo."), back=True)
            self._set_weaker(weaker)
            return
        query = "" if result.query.images else f" {result.query.describe()}"  # the chips say it
        self._set_heading(f"Best matches{query} · {len(result.hits):,} photos", back=True)
        self._set_weaker(weaker)
        self.pages.setCurrentWidget(self.results_grid)
        self.results_grid.scrollToTop()

    def _set_weaker(self, link: str) -> None:
        self.weaker_link.setText(link)
        self.weaker_link.setVisible(bool(link))

    def show_collection(self, title: str, photos: list) -> None:
        """An album, favourites or rated photos, newest first, in the results grid."""
        self.part_chips.set_chips([])
        self._results_model.set_photos(photos)
        if not photos:
            self.show_notice(f"{title}: no photos yet.", back=True)
            return
        self._set_heading(f"{title} · {len(photos):,} photos", back=True)
        self.pages.setCurrentWidget(self.results_grid)
        self.results_grid.scrollToTop()

    def show_notice(self, text: str, busy: bool = False, back: bool = True) -> None:
        self._set_heading("", back=back)
        self.notice.show_text(text, busy)
        self.pages.setCurrentWidget(self.notice)

    def set_tile_size(self, tile_px: int) -> None:
        for grid in self.grids:
            grid.set_tile_size(tile_px)

    def _set_heading(self, text: str, back: bool) -> None:
        self.heading.setText(text)
        self.back_link.setVisible(back)
        self._set_weaker("")
        if not back:
            self.part_chips.set_chips([])

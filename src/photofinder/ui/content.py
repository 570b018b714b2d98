"""The right side of the window: what a query shows, above one of four pages.

Pages: the first-run invitation, the library grid, the results grid, and a
notice (loading, nothing found). Library and results keep separate views, so
going back to the library (Esc) returns to where the user was. Results are shown
in the order chosen for searching; per query image, in one group for each.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from photofinder.photo_order import PhotoOrder, sort_hits
from photofinder.units import photo_count
from photofinder.ui.empty_state import EmptyLibrary, Notice
from photofinder.ui.grid import PhotoGrid
from photofinder.ui.grid_layout import Section
from photofinder.ui.photo_model import LibraryModel, PhotoListModel
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
        self.per_photo = QCheckBox("Results per photo")
        self.per_photo.setToolTip("One group of results for each query photo, instead of the "
                                  "photos most like all of them")
        self.per_photo.setVisible(False)
        header.addWidget(self.per_photo)
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
        self._library_model = library_model
        self._library_count = 0
        self._result: tuple[SearchResult, str | None] | None = None  # shown last, for a new order
        self.results_order = PhotoOrder.RELEVANCE
        self.library_grid.verticalScrollBar().valueChanged.connect(self._on_library_scrolled)
        library_model.modelReset.connect(self._on_library_scrolled)  # a new order

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
        section = self.library_grid.section_at_top()
        photo = self._library_model.photo_at(section.start) if section and section.count else None
        if self._library_model.order is PhotoOrder.NAME:
            return f"All photos · {self._library_count:,}, by name"
        month = f"{photo.taken_at:%B %Y}" if photo is not None else ""
        return f"All photos · {self._library_count:,}, newest first" + (f" · {month}" if month else "")

    def _on_library_scrolled(self, _value: int = 0) -> None:
        if self.pages.currentWidget() is self.library_grid:
            self.heading.setText(self._library_heading())

    def set_results_order(self, order: PhotoOrder) -> None:
        """Show results in ``order`` from now on (the ones shown now at once)."""
        self.results_order = order
        if self._result is not None and self.pages.currentWidget() is self.results_grid:
            self.show_results(*self._result)

    def show_results(self, result: SearchResult, scope: str | None = None) -> None:
        found = result.found
        self._result = (result, scope)
        groups = result.groups or ((None, found),)
        hits, sections = [], []
        for image, group in groups:
            ordered = sort_hits(group.hits, self.results_order)
            if image is not None and ordered:
                sections.append(Section(len(hits), len(ordered),
                                        f"Like {image.label} · {photo_count(len(ordered))}",
                                        image.preview))
            hits.extend(ordered)
        self._results_model.set_photos([h.photo for h in hits], [h.score for h in hits], sections)
        self.part_chips.set_chips(part_chips(found, scope))
        weaker = (f'<a href="#">Show {result.weaker:,} weaker matches</a>' if result.weaker else "")
        if not hits:
            self.show_notice(f"No good matches {result.query.describe()}.\n"
                             + ("Show the weaker matches, or try other words."
                                if result.weaker else "Try other words, or add the folder that "
                                "holds the photo."), back=True)
            self._set_weaker(weaker)
            return
        query = "" if result.query.images else f" {result.query.describe()}"  # the chips say it
        each = " for each photo" if result.groups else ""
        self._set_heading(f"Best matches{query}{each} · {photo_count(len(hits))}", back=True)
        self._set_weaker(weaker)
        self.pages.setCurrentWidget(self.results_grid)
        self.results_grid.scrollToTop()

    def _set_weaker(self, link: str) -> None:
        self.weaker_link.setText(link)
        self.weaker_link.setVisible(bool(link))

    def show_collection(self, title: str, photos: list) -> None:
        """An album, favourites or rated photos, newest first, in the results grid."""
        self._result = None
        self.part_chips.set_chips([])
        self._results_model.set_photos(photos)
        if not photos:
            self.show_notice(f"{title}: no photos yet.", back=True)
            return
        self._set_heading(f"{title} · {photo_count(len(photos))}", back=True)
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

"""Type-to-search and search-by-image, where the latest request always wins.

Typing restarts a short debounce; when it fires (or on Enter) the query gets
a new generation number. One search runs at a time; while it runs only the
newest waiting query is kept (Qt's mandelbrot example), and a result whose
generation is no longer the latest is dropped. Searching waits for the model
through the ModelLoader.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from photofinder.errors import PhotofinderError
from photofinder.query import ImagePart, parse_query
from photofinder.records import SearchFilter, SearchHit
from photofinder.ui.workers import Worker

log = logging.getLogger("photofinder.ui.search")

DEBOUNCE_MS = 250
RESULTS = 240  # hits per search: several screens of tiles


@dataclass(frozen=True, eq=False)
class QueryImage:
    """An image to search with: a file, or data dropped or pasted from elsewhere."""

    label: str
    path: str | None = None
    data: bytes | None = None
    preview: QImage | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Query:
    """What the window asks: the box's text (in the query grammar), the query images,
    and how: weaker matches shown, a folder named in the text used as scope or not,
    the folder chosen in the side panel, results for each query image apart or not."""

    text: str = ""
    images: tuple[QueryImage, ...] = ()
    show_weaker: bool = False
    auto_folder: bool = True
    scope: str | None = None
    each: bool = False

    @property
    def per_image(self) -> bool:
        """One group of results per query image (asked for, and more than one image)."""
        return self.each and len(self.images) > 1

    def describe(self) -> str:
        if self.images:
            names = ", ".join(i.label for i in self.images[:2])
            more = f" and {len(self.images) - 2} more" if len(self.images) > 2 else ""
            text = f" and “{self.text}”" if self.text else ""
            return f"like {names}{more}{text}"
        return f"for “{self.text}”"


@dataclass(frozen=True)
class SearchResult:
    query: Query
    found: object  # the core's query_runner.SearchResult (per image: the first image's)
    seconds: float  # time the search itself took
    groups: tuple[tuple[QueryImage, object], ...] = ()  # per image: (image, its core result)

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        if self.groups:
            return tuple(hit for _image, found in self.groups for hit in found.hits)
        return self.found.hits

    @property
    def weaker(self) -> int:
        return sum(found.weaker for _image, found in self.groups) if self.groups else self.found.weaker


def run_query(library, query: Query, k: int, search_filter: SearchFilter | None = None):
    """Run one query on the library (worker thread): the core's one search (or one per
    query image), narrowed by the window's filter (rated photos, an album) and the folder
    chosen as scope. Per image, a list of results in the images' order."""
    parsed = parse_query(query.text).with_images(
        ImagePart(i.data if i.data is not None else i.path, i.label) for i in query.images)
    if query.scope:
        search_filter = dataclasses.replace(search_filter or SearchFilter(), folders=(query.scope,))
    search = library.search_each if query.per_image else library.search
    return search(parsed, k, search_filter=search_filter, include_weaker=query.show_weaker,
                  auto_folder=query.auto_folder)


class SearchController(QObject):
    """Turns the search box and the query images into results for the grid."""

    results = Signal(object)  # SearchResult
    status = Signal(str, bool)  # a word for the results area instead of results; busy or not
    cleared = Signal()  # no query any more: show the library
    images_changed = Signal(list)  # the query images, for the chips

    def __init__(self, library, loader, messages, parent=None):
        super().__init__(parent)
        self._library = library
        self._loader = loader
        self._messages = messages
        self._text = ""
        self._images: list[QueryImage] = []
        self._show_weaker = False
        self._auto_folder = True
        self._scope: str | None = None
        self._each = False
        self._generation = 0
        self._pending: tuple[int, Query] | None = None
        self._running: int | None = None  # generation of the search in the worker
        self._typed_at = 0.0
        self._stopped = False
        self._filter = None  # a SearchFilter the window adds (the rating filter), or None
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._submit)
        loader.ready.connect(self._launch)
        loader.failed.connect(self._on_model_failed)
        loader.download_progress.connect(self._on_download_progress)

    @property
    def query(self) -> Query:
        return Query(self._text, tuple(self._images), self._show_weaker, self._auto_folder,
                     self._scope, self._each)

    @property
    def is_active(self) -> bool:
        return bool(self._text or self._images)

    def set_text(self, text: str) -> None:
        """The search box changed: search after a short pause in typing."""
        self._text = text.strip()
        self._typed_at = time.perf_counter()
        self._show_weaker, self._auto_folder = False, True  # a new query starts strict
        if not self.is_active:
            self.clear()
            return
        self._debounce.start()

    def search_now(self) -> None:
        self._debounce.stop()
        if self.is_active:
            self._submit()

    def set_filter(self, search_filter) -> None:
        """Narrow every search (e.g. to rated photos); the current one runs again."""
        self._filter = search_filter
        self.refresh()

    def refresh(self) -> None:
        """Run the current query again: the index changed under it."""
        if self.is_active and not self._debounce.isActive():
            self._submit()

    def show_weaker(self) -> None:
        """"Show N weaker matches": the same query without the relevance cut-off."""
        self._show_weaker = True
        self.search_now()

    def drop_auto_folder(self) -> None:
        """The chip of a folder the text named was removed: search everywhere."""
        self._auto_folder = False
        self.search_now()

    def set_scope(self, folder: str | None) -> None:
        """The folder chosen in the side panel limits the search (None: everywhere)."""
        self._scope = folder
        if self.is_active:
            self.search_now()

    def set_each(self, each: bool) -> None:
        """"Results per photo": one group of results for each query image, or one for all."""
        self._each = each
        if self.is_active:
            self.search_now()

    @property
    def scope(self) -> str | None:
        return self._scope

    def rate(self, query_id: str, paths: list[str], rating: int) -> None:
        """Thumbs up or down on results: stored, then the search runs again, re-ranked."""
        worker = Worker(lambda: [self._library.feedback(query_id, p, rating) for p in paths])
        worker.returned.connect(lambda _: self.search_now())
        worker.errored.connect(self._on_error_outside_search)
        worker.start()

    def _on_error_outside_search(self, exc: BaseException) -> None:
        if isinstance(exc, PhotofinderError):
            self._messages.warning(str(exc))
        else:
            self._messages.error(exc, "rating a result")

    def search_images(self, images: list[QueryImage], replace: bool = True) -> None:
        """Search with these images (replacing or joining the current ones)."""
        self._text = ""
        self._typed_at = time.perf_counter()
        self._show_weaker, self._auto_folder = False, True
        self._set_images(images if replace else self._images + images)
        self.search_now()

    def remove_image(self, image: QueryImage) -> None:
        self._set_images([i for i in self._images if i is not image])
        if self._images:
            self.search_now()
        else:
            self.clear()

    def clear(self) -> None:
        """Back to the library; a search still running is ignored when it ends."""
        self._debounce.stop()
        self._text = ""
        self._set_images([])
        self._generation += 1
        self._pending = None
        self.cleared.emit()

    def stop(self) -> None:
        """The window is closing: drop what waits, start nothing new."""
        self._stopped = True
        self._debounce.stop()
        self._pending = None
        self._generation += 1

    def _set_images(self, images: list[QueryImage]) -> None:
        if images != self._images:
            self._images = list(images)
            self.images_changed.emit(self._images)

    def _submit(self) -> None:
        if self._stopped:
            return
        self._generation += 1
        self._pending = (self._generation, self.query)
        if not self._loader.is_ready:  # the query runs when the model is ready
            self.status.emit(self._loader.waiting_reason(), not self._loader.is_failed)
            self._loader.ensure_loaded()  # never after a failure: the user decides
            return
        self._launch()

    def _launch(self) -> None:
        if (self._stopped or self._running is not None or self._pending is None
                or not self._loader.is_ready):
            return
        generation, query = self._pending
        self._pending = None
        self._running = generation
        worker = Worker(self._timed_search, query)
        worker.returned.connect(self._on_results)
        worker.errored.connect(self._on_error)
        worker.start()

    def _timed_search(self, query: Query) -> SearchResult:
        started = time.perf_counter()
        found = run_query(self._library, query, RESULTS, self._filter)
        if query.per_image:
            return SearchResult(query, found[0], time.perf_counter() - started,
                                tuple(zip(query.images, found)))
        return SearchResult(query, found, time.perf_counter() - started)

    def _on_results(self, result: SearchResult) -> None:
        current = self._running == self._generation
        self._running = None
        if current:
            log.info("search %s: %d results in %.0f ms, %.0f ms after the query was typed or given",
                     result.query.describe(), len(result.hits), result.seconds * 1000,
                     (time.perf_counter() - self._typed_at) * 1000)
            self.results.emit(result)
        self._launch()

    def _on_error(self, exc: BaseException) -> None:
        current = self._running == self._generation
        self._running = None
        if current and isinstance(exc, PhotofinderError):
            self.status.emit(str(exc), False)
        elif current:
            self._messages.error(exc, "searching")
            self.status.emit("The search failed (see the error details).", False)
        self._launch()

    def _on_model_failed(self, message: str) -> None:
        """The query stays pending: it runs if the user gets the model after all."""
        if self._pending is not None:
            self.status.emit(self._loader.waiting_reason(), False)

    def _on_download_progress(self, done: int, total: int | None) -> None:
        if self._pending is not None:
            share = f" {done * 100 // total}%" if total else ""
            self.status.emit(f"Search starts as soon as the model is downloaded…{share}", True)

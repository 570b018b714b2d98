"""What the window does with a search beyond showing it: removable chips, "Show N weaker
matches", thumbs up and down, a folder chosen in the side panel as scope, and "Results
per photo" when there are several query images."""

from __future__ import annotations

from PySide6.QtCore import QObject

from photofinder.query import parse_query
from photofinder.ui.result_rating import ResultRating
from photofinder.ui.search_bar import folder_name, scope_chip
from photofinder.units import photo_count


class SearchView(QObject):
    """Wires the search controller to the content area, the search box and the folders."""

    def __init__(self, search, search_box, content, folders, library_ctl, messages, parent=None):
        super().__init__(parent)
        self._search = search
        self._box = search_box
        self._content = content
        self._folders = folders
        self._library_ctl = library_ctl
        self._messages = messages
        self._query_id: str | None = None
        self._query_ids: dict[str, str] = {}  # per query image: each result's own search
        self.rating = ResultRating(content.results_grid)
        self.rating.rated.connect(self.rate)
        search.results.connect(self._on_results)
        content.weaker_requested.connect(search.show_weaker)
        content.part_chips.removed.connect(self.remove_chip)
        folders.list.itemClicked.connect(lambda item: self.scope_to(folders.current_folder()))
        content.per_photo.toggled.connect(search.set_each)
        search.images_changed.connect(lambda images: content.per_photo.setVisible(len(images) > 1))

    def _on_results(self, result) -> None:
        self._query_id = result.found.query_id
        self._query_ids = {hit.photo.path: found.query_id
                           for _image, found in result.groups for hit in found.hits}

    def rate(self, paths: list[str], rating: int) -> None:
        if self._query_id is None or not self._search.is_active:
            return
        word = "good" if rating > 5 else "bad"
        self._messages.info(f"Marked {photo_count(len(paths))} {word}: "
                            "this search and ones like it learn from it")
        by_search: dict[str, list[str]] = {}
        for path in paths:
            by_search.setdefault(self._query_ids.get(path, self._query_id), []).append(path)
        for query_id, rated in by_search.items():
            self._search.rate(query_id, rated, rating)

    def remove_chip(self, key: str) -> None:
        if key == "scope":
            self._folders.list.setCurrentRow(-1)
            self._folders.list.clearSelection()
            self.scope_to(None)
        elif key == "auto":
            self._search.drop_auto_folder()
        elif key.startswith("text:"):
            text = parse_query(self._search.query.text).without(key[len("text:"):]).to_text()
            self._box.setText(text)
            self._search.set_text(text)
            self._search.search_now()

    def scope_to(self, folder: str | None) -> None:
        """Search and browse only below ``folder`` (None: the whole library again)."""
        self._search.set_scope(folder)
        if self._search.is_active:
            return
        if folder is None:
            self._search.clear()  # back to the whole library
            return
        inside = self._library_ctl.model.photos_below(folder)
        self._content.show_collection(f"In {folder_name(folder)}", inside)
        self._content.part_chips.set_chips(scope_chip(folder))

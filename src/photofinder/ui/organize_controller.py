"""Runs what the user does to organize photos in the window: albums, stars, trash, forget.

Every change goes through the core (organizing, trash, Library.forget) in a worker;
the window re-reads what changed when it is done.
"""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QInputDialog, QMenu, QProgressDialog, QWidget,
)

from photofinder import organizing
from photofinder.file_actions import copy_steps, finish
from photofinder.records import Photo
from photofinder.ui.workers import Worker

RATED_STARS = 3  # the side panel's "rated" entry: this many stars and up
BUILT_IN = (("favourites", "♥ Favourites"), ("rated", f"★ {RATED_STARS} stars and up"))


RATING_CHOICES = (("Any rating", 0, False), *((("★" * n) + " and up", n, False) for n in range(1, 6)),
                  ("♥ Favourites", 0, True))


class OrganizeController(QObject):
    library_changed = Signal()  # photos left the index or came back: re-read the library
    collection_ready = Signal(str, list)  # a title and its photos, for the results grid
    filter_ready = Signal(object, str)  # the rating filter as a SearchFilter (or None), its name

    def __init__(self, library, messages, albums_panel, marks, parent: QWidget | None = None):
        super().__init__(parent)
        self.library = library
        self.messages = messages
        self.panel = albums_panel
        self.marks = marks
        self._window = parent
        self._albums_read = 0
        albums_panel.chosen.connect(self.show_entry)
        albums_panel.new_requested.connect(self.new_album)
        albums_panel.smart_requested.connect(self.new_smart_album)
        albums_panel.delete_requested.connect(self.delete_album)
        albums_panel.photos_dropped.connect(self.add_to_album)

    def _run(self, doing: str, fn, *args, then=None) -> None:
        worker = Worker(fn, *args)
        if then is not None:
            worker.returned.connect(then)
        worker.errored.connect(lambda exc: self.messages.error(exc, doing))
        worker.start()

    # --- albums ---------------------------------------------------------------------

    def refresh_albums(self) -> None:
        """Re-read the panel's entries; only the latest read is shown (latest request wins)."""
        self._albums_read += 1
        read = self._albums_read

        def show(entries) -> None:
            if read == self._albums_read:
                self.panel.set_entries(entries)

        self._run("reading albums", _album_entries, self.library, then=show)

    def show_entry(self, key) -> None:
        self._run("showing the album", _entry_photos, self.library, key,
                  then=lambda found: self.collection_ready.emit(*found))

    def new_album(self, photos: list[Photo] | None = None) -> None:
        name, ok = QInputDialog.getText(self._window, "New album", "Album name:")
        if ok and name.strip():
            paths = [p.path for p in photos or []]
            self._run("creating the album", _create_album, self.library, name, paths,
                      then=lambda _: self.refresh_albums())

    def new_smart_album(self) -> None:
        query, ok = QInputDialog.getText(self._window, "New smart album",
                                         "Photos that match (a search, e.g. \"beach type:jpg\"):")
        if not ok or not query.strip():
            return
        name, ok = QInputDialog.getText(self._window, "New smart album", "Album name:", text=query)
        if ok and name.strip():
            self._run("creating the album", organizing.create_album, self.library, name, query,
                      then=lambda _: self.refresh_albums())

    def delete_album(self, album_id: int) -> None:
        self._run("deleting the album", self.library.user_data.delete_album, album_id,
                  then=lambda _: self.refresh_albums())

    def add_to_album(self, album: int, paths: list[str]) -> None:
        def added(count: int) -> None:
            self.messages.info(f"{count} photos added to the album")
            self.refresh_albums()

        self._run("adding to the album", organizing.add_to_album, self.library, album, paths,
                  then=added)

    # --- the rating filter ------------------------------------------------------------

    def rating_filter(self) -> QComboBox:
        """A chooser for the status bar: searches (and the library) show only photos rated so."""
        combo = QComboBox()
        combo.setToolTip("Show only photos with this many stars, or favourites")
        for name, _stars, _favourites in RATING_CHOICES:
            combo.addItem(name)
        combo.currentIndexChanged.connect(self.choose_rating)
        return combo

    def choose_rating(self, choice: int) -> None:
        name, stars, favourites = RATING_CHOICES[choice]

        def paths_chosen(paths) -> None:
            self.filter_ready.emit(organizing.with_marks(None, paths), name)

        self._run("reading ratings", organizing.marked, self.library, stars, favourites,
                  then=paths_chosen)

    # --- the photos' context menu ------------------------------------------------------

    def extend_menu(self, menu: QMenu, photos: list[Photo]) -> None:
        """Rate, favourite, album, trash and forget entries for the selected photos."""
        menu.addSeparator()
        rate = menu.addMenu("Rate")
        for stars in range(6):
            rate.addAction("★" * stars or "No stars", lambda s=stars: self.marks.rate(photos, s))
        menu.addAction("Favourite (F)", lambda: self.marks.toggle_favourite(photos))
        albums = menu.addMenu("Add to album")
        for album in self.library.user_data.albums():
            if not album.is_smart:
                albums.addAction(album.name, lambda a=album.id: self.add_to_album(
                    a, [p.path for p in photos]))
        albums.addAction("New album…", lambda: self.new_album(photos))
        menu.addSeparator()
        menu.addAction("Copy to folder…", lambda: self.copy_to(photos))
        menu.addAction("Move to folder…", lambda: self.copy_to(photos, move=True))
        menu.addAction("Export…", lambda: self.copy_to(photos, export=True))
        many = f" {len(photos)} photos" if len(photos) > 1 else ""
        menu.addAction(f"Move{many} to trash", lambda: self.trash(photos))
        menu.addAction(f"Forget{many} (leave out of the library)", lambda: self.forget(
            [p.path for p in photos]))
        folder = photos[0].folder
        if folder not in self.library.folders():
            menu.addAction(f"Exclude folder {os.path.basename(folder)}", lambda: self.forget([folder]))

    def copy_to(self, photos: list[Photo], move: bool = False, export: bool = False) -> None:
        """Ask for a folder (and for an export, a size), then copy, move or export in a
        worker with a progress dialog that can cancel between files."""
        verb = "Move" if move else "Export" if export else "Copy"
        folder = QFileDialog.getExistingDirectory(self._window, f"{verb} {len(photos)} photos to")
        if not folder:
            return
        max_side = None
        if export:
            side, ok = QInputDialog.getInt(self._window, "Export", "Longest side in pixels "
                                           "(0: full size):", 2048, 0, 100_000)
            if not ok:
                return
            max_side = side or 1 << 30
        self.run_copy(photos, folder, move, max_side)

    def run_copy(self, photos: list[Photo], folder: str, move: bool = False,
                 max_side: int | None = None) -> Worker:
        cancel = threading.Event()
        progress = QProgressDialog(f"{len(photos)} photos to {os.path.basename(folder)}…", "Cancel",
                                   0, len(photos), self._window)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(500)
        progress.canceled.connect(cancel.set)

        def done(result) -> None:
            progress.reset()
            progress.deleteLater()
            for problem in result.failed:
                self.messages.problem(problem)
            failed = f"; {len(result.failed)} failed and were left as they were (View ▸ Issues)"
            self.messages.info(f"{len(result.done)} photos done"
                               + (" before Cancel" if result.cancelled else "")
                               + (failed if result.failed else ""))
            self.library_changed.emit()

        worker = Worker(_copy_with_progress, self.library, [p.path for p in photos], folder, move,
                        max_side, cancel)
        worker.yielded.connect(progress.setValue)
        worker.returned.connect(done)
        worker.errored.connect(lambda exc: (progress.reset(), self.messages.error(exc, "copying")))
        return worker.start()

    def trash(self, photos: list[Photo]) -> None:
        from photofinder.trash import trash_photos

        def done(result) -> None:
            for problem in result.failed:
                self.messages.problem(problem)
            self.messages.info(f"{len(result.done)} photos moved to the trash "
                               "(Edit ▸ Undo move to trash puts them back)")
            self.library_changed.emit()

        self._run("moving to the trash", trash_photos, self.library, [p.path for p in photos],
                  then=done)

    def undo_trash(self) -> None:
        from photofinder.trash import undo_trash

        def done(result) -> None:
            for problem in result.failed:
                self.messages.problem(problem)
            self.messages.info(f"{len(result.done)} photos put back from the trash")
            self.library_changed.emit()

        self._run("putting photos back", undo_trash, self.library, then=done)

    def forget(self, paths: list[str]) -> None:
        def done(removed: int) -> None:
            self.messages.info(f"{removed} photos left the library; later scans leave them out")
            self.library_changed.emit()

        self._run("forgetting", lambda: sum(self.library.forget(p) for p in paths), then=done)

    def exclude_inside(self, library_folder: str) -> None:
        """Ask for a folder inside a library folder, then leave it out."""
        folder = QFileDialog.getExistingDirectory(self._window, "Exclude a folder", library_folder)
        if folder and os.path.abspath(folder) != library_folder:
            self.forget([folder])


def _album_entries(library) -> list[tuple[object, str, int | None, bool]]:
    favourites = organizing.marked(library, favourites=True)
    rated = organizing.marked(library, min_rating=RATED_STARS)
    entries = [("favourites", BUILT_IN[0][1], len(favourites), False),
               ("rated", BUILT_IN[1][1], len(rated), False)]
    for album in library.user_data.albums():
        count = None if album.is_smart else len(library.user_data.album_items(album.id))
        entries.append((album.id, album.name, count, album.is_smart))
    return entries


def _entry_photos(library, key) -> tuple[str, list[Photo]]:
    if key == "favourites":
        return BUILT_IN[0][1], library.photos(organizing.with_marks(
            None, organizing.marked(library, favourites=True)))
    if key == "rated":
        return BUILT_IN[1][1], library.photos(organizing.with_marks(
            None, organizing.marked(library, min_rating=RATED_STARS)))
    return library.user_data.album(key).name, organizing.album_photos(library, key)


def _copy_with_progress(library, paths, folder, move, max_side, cancel: threading.Event):
    """Yields the files done so far; a cancel stops between files and still brings the
    index in line with what was done."""
    results = []
    for step in copy_steps(library, paths, folder, move, max_side, cancel.is_set):
        results.append(step)
        yield len(results)
    return finish(library, results, folder, move, cancel.is_set())


def _create_album(library, name: str, paths: list[str]):
    album = organizing.create_album(library, name)
    if paths:
        organizing.add_to_album(library, album.id, paths)
    return album

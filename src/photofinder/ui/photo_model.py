"""The list model behind a photo grid: photos (and scores) in display order.

It holds small records only; pixmaps come from the shared ThumbnailCache when
a tile is painted. A new result set is a reset; index changes arrive as
inserts, removals and per-tile ``dataChanged`` so the view keeps its place.
Photos of an offline library folder stay, marked by ``OfflineRole``.
"""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass
from typing import Iterable, Sequence

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, Qt, QUrl

from photofinder.photo_order import PhotoOrder, order_key, sort_photos
from photofinder.presence import offline_folder_of
from photofinder.records import Photo
from photofinder.ui.grid_layout import Section
from photofinder.ui.thumbnails import ThumbnailCache
from photofinder.units import human_size, photo_count

PhotoRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
ScoreRole = Qt.ItemDataRole.UserRole + 3
OfflineRole = Qt.ItemDataRole.UserRole + 4  # the offline library folder holding the photo, or None
MarkRole = Qt.ItemDataRole.UserRole + 5  # (stars, favourite), from ui.marks.MarkCache

URI_LIST = "text/uri-list"


def month_sections(photos: list[Photo]) -> list[Section]:
    """One section per month of ``photos`` (newest first), found by bisection: a few hundred
    steps for 100,000 photos, cheap enough after every change of rows."""
    sections, start, key = [], 0, order_key(PhotoOrder.DATE)
    while start < len(photos):
        first = photos[start].taken_at
        month_start = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = bisect.bisect_right(photos, (-month_start.timestamp(), "\U0010ffff"), lo=start,
                                  key=key)
        end = max(end, start + 1)
        sections.append(Section(start, end - start, f"{first:%B %Y} · {photo_count(end - start)}"))
        start = end
    return sections


def photo_tooltip(photo: Photo, score: float | None, offline_folder: str | None = None) -> str:
    lines = [f"<b>{html.escape(photo.name)}</b>", html.escape(photo.folder),
             f"{photo.taken_at:%d %b %Y, %H:%M}"]
    details = [f"{photo.width} × {photo.height}"] if photo.width else []
    details.append(human_size(photo.size))
    lines.append(" · ".join(details))
    if score is not None:
        lines.append(f"match {score:.3f}")
    if offline_folder:
        lines.append(f"<i>Offline: {html.escape(offline_folder)} is not connected; "
                     "the photo stays in the library until it returns.</i>")
    return "<br>".join(lines)


class PhotoListModel(QAbstractListModel):
    """Photos for one grid: the whole library, or one set of search results."""

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent=None):
        super().__init__(parent)
        self._photos: list[Photo] = []
        self._scores: list[float] | None = None
        self._rows: dict[str, int] | None = None  # path -> row, rebuilt lazily
        self._offline: frozenset[str] = frozenset()
        self._thumbnails = thumbnails
        self._marks = None  # ui.marks.MarkCache, once set
        self._sections: list[Section] = []
        if thumbnails is not None:
            thumbnails.ready.connect(self.thumbnail_ready)

    # --- Qt's model interface ----------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._photos)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return photo.name
        if role == PathRole:
            return photo.path
        if role == Qt.ItemDataRole.DecorationRole:
            if self._thumbnails is None:
                return None
            return self._thumbnails.pixmap(photo.path, (photo.size, photo.mtime_ns))
        if role == Qt.ItemDataRole.ToolTipRole:
            return photo_tooltip(photo, self.score_at(index.row()), self._offline_folder(photo))
        if role == PhotoRole:
            return photo
        if role == ScoreRole:
            return self.score_at(index.row())
        if role == OfflineRole:
            return self._offline_folder(photo)
        if role == MarkRole:
            return self._marks.get(photo.path) if self._marks is not None else None
        return None

    def sections(self) -> list[Section]:
        """The header rows the grid shows (each over a run of rows); none: a plain grid."""
        return self._sections

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemNeverHasChildren)

    def mimeTypes(self) -> list[str]:
        return [URI_LIST]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """Dragged photos leave as file URLs, which file managers and editors accept."""
        mime = QMimeData()
        paths = [self._photos[i.row()].path for i in indexes if i.isValid()]
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        mime.setText("\n".join(paths))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # --- our interface -------------------------------------------------------------

    @property
    def photos(self) -> list[Photo]:
        return self._photos

    def photo_at(self, row: int) -> Photo:
        return self._photos[row]

    def score_at(self, row: int) -> float | None:
        return self._scores[row] if self._scores is not None else None

    def photos_in(self, paths: frozenset[str]) -> list[Photo]:
        """The photos shown whose paths are among ``paths``, in the order shown."""
        return [p for p in self._photos if p.path in paths]

    def photos_below(self, folder: str) -> list[Photo]:
        """The photos shown inside ``folder``, in the order shown."""
        prefix = folder.rstrip("/") + "/"
        return [p for p in self._photos if p.path.startswith(prefix)]

    def set_marks(self, marks) -> None:
        """Show stars and favourites from ``marks`` (a MarkCache), repainting as they change."""
        self._marks = marks
        marks.changed.connect(self._marks_changed)

    def _marks_changed(self, paths: list[str]) -> None:
        rows = [r for r in (self.row_of(p) for p in paths) if r is not None]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)), [MarkRole])

    def row_of(self, path: str) -> int | None:
        if self._rows is None:
            self._rows = {p.path: row for row, p in enumerate(self._photos)}
        return self._rows.get(path)

    def set_photos(self, photos: Sequence[Photo], scores: Sequence[float] | None = None,
                   sections: Sequence[Section] = ()) -> None:
        """Show a new set of photos (a reset: the view starts again at the top), grouped
        under ``sections`` if any (they must cover the photos in order)."""
        self.beginResetModel()
        self._photos = list(photos)
        self._scores = list(scores) if scores is not None else None
        self._sections = list(sections)
        self._rows = None
        self.endResetModel()

    def set_offline_folders(self, folders: frozenset[str]) -> None:
        """Library folders went offline or came back: repaint every tile (the view paints only
        those on screen), so the offline ones are dimmed and the returned ones are not."""
        if folders == self._offline:
            return
        self._offline = folders
        if self._photos:
            self.dataChanged.emit(self.index(0), self.index(len(self._photos) - 1),
                                  [OfflineRole, Qt.ItemDataRole.ToolTipRole])

    def _offline_folder(self, photo: Photo) -> str | None:
        return offline_folder_of(photo.path, self._offline) if self._offline else None

    def thumbnail_ready(self, path: str) -> None:
        row = self.row_of(path)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class LibraryModel(PhotoListModel):
    """Every photo in the library, newest first (under month headers) or by name, kept in
    step with the index."""

    def __init__(self, thumbnails: ThumbnailCache | None = None, parent=None):
        super().__init__(thumbnails, parent)
        self._paths: set[str] = set()
        self._version = 0  # counts every change of rows or records, see ``shown``
        self._order = PhotoOrder.DATE
        self._key = order_key(self._order)
        self._months: tuple[int, list[Section]] = (-1, [])  # (version, sections)

    @property
    def order(self) -> PhotoOrder:
        return self._order

    def set_photos(self, photos: Sequence[Photo], scores: Sequence[float] | None = None,
                   sections: Sequence[Section] = ()) -> None:
        self.set_library(LibraryListing.of(photos, order=self._order))

    def sections(self) -> list[Section]:
        """A header over each month when the library is in date order."""
        if self._order is not PhotoOrder.DATE:
            return []
        if self._months[0] != self._version:
            self._months = (self._version, month_sections(self._photos))
        return self._months[1]

    def set_library(self, listing: "LibraryListing") -> None:
        """Show a listing prepared off the GUI thread (sorting 100,000 photos takes ~0.1 s),
        in the listing's order from now on."""
        self._order, self._key = listing.order, order_key(listing.order)
        super().set_photos(listing.photos)
        self._paths = set(listing.paths)
        self._rows = listing.rows
        self._version += 1

    def shown(self) -> "ShownPhotos":
        """The rows as they are now, for a worker to compare a new listing with."""
        return ShownPhotos(self._version, list(self._photos))

    def paths(self) -> list[str]:
        return list(self._paths)

    def upsert(self, photos: Iterable[Photo]) -> None:
        """Insert new photos in date order, or refresh the ones already shown."""
        fresh = []
        for photo in photos:
            if photo.path not in self._paths:
                fresh.append(photo)
                continue
            row = self.row_of(photo.path)
            if self._key(self._photos[row]) == self._key(photo):
                self._photos[row] = photo
                self._version += 1
                self.thumbnail_ready(photo.path)
            else:
                self.remove_paths([photo.path])
                fresh.append(photo)
        self._insert(fresh)

    def remove_paths(self, paths: Iterable[str]) -> None:
        """Remove rows, as few contiguous ranges as possible, bottom up."""
        rows = sorted((r for r in map(self.row_of, set(paths) & self._paths) if r is not None),
                      reverse=True)
        while rows:
            last = first = rows.pop(0)
            while rows and rows[0] == first - 1:
                first = rows.pop(0)
            self.beginRemoveRows(QModelIndex(), first, last)
            self._paths.difference_update(p.path for p in self._photos[first:last + 1])
            del self._photos[first:last + 1]
            self._rows = None
            self._version += 1
            self.endRemoveRows()

    def remove_below(self, folder: str) -> None:
        prefix = folder.rstrip("/") + "/"
        self.remove_paths([p for p in self._paths if p.startswith(prefix)])

    def sync(self, listing: "LibraryListing") -> None:
        """Match the index exactly, moving rows rather than resetting, so the view keeps its place.
        A listing that its worker found equal to the rows shown costs nothing here."""
        if listing.same_rows_as == self._version:
            self._photos = listing.photos  # the same rows, with the index's latest records
            self._version += 1
            return
        photos, wanted = listing.photos, listing.paths
        self.remove_paths(self._paths - wanted)
        self.upsert(p for p in photos if p.path not in self._paths)
        if [p.path for p in self._photos] == [p.path for p in photos]:
            self._photos = photos
            return
        self._reorder(photos)

    def _insert(self, photos: list[Photo]) -> None:
        """Insert in order, one insertion per run of photos that land together: each
        costs the views a layout (a commit of indexing brings 256 photos, mostly one run)."""
        key = self._key
        photos = sorted(photos, key=key)
        start = 0
        while start < len(photos):
            row = bisect.bisect_right(self._photos, key(photos[start]), key=key)
            end = len(photos) if row == len(self._photos) else bisect.bisect_left(
                photos, key(self._photos[row]), lo=start, key=key)
            run = photos[start:end]
            self.beginInsertRows(QModelIndex(), row, row + len(run) - 1)
            self._photos[row:row] = run
            self._paths.update(p.path for p in run)
            self._rows = None
            self._version += 1
            self.endInsertRows()
            start = end

    def _reorder(self, photos: list[Photo]) -> None:
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_paths = [self._photos[i.row()].path for i in old]
        self._photos = photos
        self._rows = None
        self._version += 1
        new = [self.row_of(p) for p in old_paths]
        self.changePersistentIndexList(old, [self.index(r) for r in new])
        self.layoutChanged.emit()


@dataclass(frozen=True)
class ShownPhotos:
    """The rows of a LibraryModel at one version."""

    version: int
    photos: list[Photo]


@dataclass(frozen=True)
class LibraryListing:
    """Every photo of the library in one order, with its path set and rows: made in a worker,
    so that the GUI thread only swaps references (each step costs ~10 ms for 100,000 photos)."""

    photos: list[Photo]
    paths: frozenset[str]
    rows: dict[str, int]  # path -> row
    same_rows_as: int | None = None  # the version of the shown rows that had these paths in order
    order: PhotoOrder = PhotoOrder.DATE

    @classmethod
    def of(cls, photos: Iterable[Photo], shown: ShownPhotos | None = None,
           order: PhotoOrder = PhotoOrder.DATE) -> "LibraryListing":
        ordered = sort_photos(photos, order)
        same = None
        if shown is not None and len(shown.photos) == len(ordered) \
                and all(a.path == b.path for a, b in zip(shown.photos, ordered)):
            same = shown.version
        rows = {p.path: row for row, p in enumerate(ordered)}
        return cls(ordered, frozenset(rows), rows, same, order)


def count_below(paths: Iterable[str], folders: Sequence[str]) -> dict[str, int]:
    """How many photos each folder holds (for the folder panel); run in a worker."""
    prefixes = {f: f.rstrip("/") + "/" for f in folders}
    counts = dict.fromkeys(folders, 0)
    for path in paths:
        for folder, prefix in prefixes.items():
            if path.startswith(prefix):
                counts[folder] += 1
    return counts

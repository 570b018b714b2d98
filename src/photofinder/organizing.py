"""Stars, favourites and albums over the library: one implementation for the window,
the CLI and the API.

What people make lives in the user store (user_data), keyed by path and
fingerprint, so it follows photos that move; this module looks photos up in
the index to key them, and turns marks and albums into filters for listings
and searches (a ``SearchFilter`` with ``paths``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from photofinder.config import absolute_path
from photofinder.errors import QueryError
from photofinder.records import Photo, SearchFilter
from photofinder.user_data import Album

SMART_ALBUM_LIMIT = 1000  # photos a smart album shows: its query's best matches


def indexed_photos(library, paths: Iterable[str]) -> list[Photo]:
    """The index's records of these paths; a path not in the library is an error."""
    wanted = {absolute_path(p) for p in paths}
    photos = library.store.photos(SearchFilter(paths=frozenset(wanted)))
    missing = wanted - {p.path for p in photos}
    if missing:
        raise QueryError(f"not in the library: {sorted(missing)[0]}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return photos


def rate(library, paths: Sequence[str], stars: int) -> int:
    """Give photos 0 (none) to 5 stars; returns how many were rated."""
    if not 0 <= stars <= 5:
        raise QueryError(f"a rating is 0 to 5 stars, not {stars}")
    photos = indexed_photos(library, paths)
    for photo in photos:
        library.set_rating(photo, stars)  # also to its XMP sidecar, if the settings say so
    return len(photos)


def set_favourite(library, paths: Sequence[str], favourite: bool) -> int:
    photos = indexed_photos(library, paths)
    for photo in photos:
        library.user_data.set_favourite(photo, favourite)
    return len(photos)


def marked(library, min_rating: int = 0, favourites: bool = False) -> frozenset[str] | None:
    """Paths with at least ``min_rating`` stars (and favourites only, if asked): a search
    or listing filter; None when nothing is asked."""
    if min_rating <= 0 and not favourites:
        return None
    return frozenset(path for path, mark in library.user_data.marks().items()
                     if mark.rating >= min_rating and (mark.favourite or not favourites))


def with_marks(search_filter: SearchFilter | None, paths: frozenset[str] | None) -> SearchFilter | None:
    """``search_filter`` narrowed to ``paths`` (None: not narrowed)."""
    if paths is None:
        return search_filter
    base = search_filter or SearchFilter()
    if base.paths is not None:
        paths = paths & base.paths
    return replace(base, paths=paths)


def create_album(library, name: str, query: str | None = None) -> Album:
    """A manual album, or a smart one: a saved search in the query grammar."""
    if query is not None:
        from photofinder.query import parse_query

        if parse_query(query).is_empty:
            raise QueryError("a smart album needs a search")
    return library.user_data.create_album(name, query)


def add_to_album(library, album: int | str, paths: Sequence[str]) -> int:
    chosen = library.user_data.album(album)
    if chosen.is_smart:
        raise QueryError(f"{chosen.name} is a smart album: its search chooses its photos")
    return library.user_data.add_to_album(chosen.id, indexed_photos(library, paths))


def album_paths(library, album: int | str) -> frozenset[str]:
    """The photos of an album: a manual one's items, or what a smart one's search finds
    now (so photos that arrived since are in it)."""
    chosen = library.user_data.album(album)
    if not chosen.is_smart:
        return frozenset(item.path for item in library.user_data.album_items(chosen.id))
    result = library.search(chosen.query, SMART_ALBUM_LIMIT)
    return frozenset(hit.photo.path for hit in result.hits)


def album_photos(library, album: int | str) -> list[Photo]:
    """An album's photos that are in the index, newest first."""
    return library.photos(SearchFilter(paths=album_paths(library, album)))

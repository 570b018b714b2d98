"""The orders photos are shown in: by date taken (newest first), by name, or by relevance.

One definition for the window, the CLI and the API. Each key is a total order (ties
broken by path), so a sorted list can take new photos by bisection.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable, Iterable

from photofinder.errors import QueryError
from photofinder.records import Photo, SearchHit


class PhotoOrder(str, Enum):
    DATE = "date"  # date taken (EXIF, else file time), newest first: browsing's default
    NAME = "name"  # file name, A to Z, ignoring case
    RELEVANCE = "relevance"  # best match first: search's default (no key: the search's order)

    @classmethod
    def parse(cls, text: str) -> "PhotoOrder":
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise QueryError(f"unknown order {text!r}: use date, name or relevance") from None


def newest_first(photo: Photo) -> tuple:
    return (-photo.taken_at.timestamp(), photo.path)


def by_name(photo: Photo) -> tuple:
    return (photo.name.casefold(), photo.path)


def order_key(order: PhotoOrder) -> Callable[[Photo], tuple]:
    """The ascending sort key of ``order``; relevance keeps the order photos come in."""
    if order is PhotoOrder.RELEVANCE:
        raise ValueError("relevance is the order of search results, not a key")
    return newest_first if order is PhotoOrder.DATE else by_name


def sort_photos(photos: Iterable[Photo], order: PhotoOrder) -> list[Photo]:
    """``photos`` in ``order`` (relevance: as given)."""
    if order is PhotoOrder.RELEVANCE:
        return list(photos)
    return sorted(photos, key=order_key(order))


def sort_hits(hits: Iterable[SearchHit], order: PhotoOrder) -> list[SearchHit]:
    """Search hits in ``order``: relevance keeps the search's ranking."""
    if order is PhotoOrder.RELEVANCE:
        return list(hits)
    key = order_key(order)
    return sorted(hits, key=lambda hit: key(hit.photo))

"""The one ordering of photos: newest first, by name, or as a search ranked them."""

from __future__ import annotations

from datetime import datetime

import pytest

from photofinder.errors import QueryError
from photofinder.photo_order import PhotoOrder, sort_photos
from photofinder.records import Photo


def photo(path: str, day: int) -> Photo:
    return Photo(path, path.rsplit("/", 1)[0], 1, 1, "", 10, 10, datetime(2024, 1, day))


PHOTOS = [photo("/a/beach.jpg", 3), photo("/b/Alps.jpg", 9), photo("/a/cat.jpg", 9),
          photo("/c/alps.jpg", 1)]


def test_date_is_newest_first_with_ties_by_path():
    assert [p.path for p in sort_photos(PHOTOS, PhotoOrder.DATE)] == [
        "/a/cat.jpg", "/b/Alps.jpg", "/a/beach.jpg", "/c/alps.jpg"]


def test_name_ignores_case_and_breaks_ties_by_path():
    assert [p.path for p in sort_photos(PHOTOS, PhotoOrder.NAME)] == [
        "/b/Alps.jpg", "/c/alps.jpg", "/a/beach.jpg", "/a/cat.jpg"]


def test_relevance_keeps_the_order_given():
    assert sort_photos(PHOTOS, PhotoOrder.RELEVANCE) == PHOTOS


def test_an_unknown_order_is_a_clear_error():
    assert PhotoOrder.parse(" Name ") is PhotoOrder.NAME
    with pytest.raises(QueryError, match="use date, name or relevance"):
        PhotoOrder.parse("size")

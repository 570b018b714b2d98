"""Stars, favourites and albums: kept in the user store, following moves, filtering searches."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from photofinder import organizing
from photofinder.errors import QueryError
from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos


@pytest.fixture
def library(tiny_model, tmp_path):
    folder = tmp_path / "photos"
    photos = write_photos(folder, 300, seed=11)  # enough for the relevance bar to calibrate
    library = Library()
    library.add_folder(folder)
    library.index()
    return library, {str(p): truth for p, truth in photos}


def of_kind(truth, colour, shape) -> list[str]:
    return sorted(p for p, t in truth.items() if t.colour == colour and t.shape == shape)


def test_stars_and_favourites_filter_a_search_and_follow_a_move(library, tmp_path):
    library, truth = library
    reds = [p for p, t in truth.items() if t.colour == "red"]
    blues = [p for p, t in truth.items() if t.colour == "blue"]
    assert organizing.rate(library, reds[:2], 4) == 2 and organizing.rate(library, blues[:1], 5) == 1
    organizing.set_favourite(library, [blues[0], reds[0]], True)

    four_up = organizing.with_marks(None, organizing.marked(library, min_rating=4))
    hits = library.search("a red circle", 10, search_filter=four_up, include_weaker=True).hits
    assert {h.photo.path for h in hits} == {*reds[:2], blues[0]}
    assert [h.photo.path for h in hits][0] in reds[:2]  # still ranked by the query
    favourites = organizing.marked(library, favourites=True)
    assert favourites == {blues[0], reds[0]}
    assert {p.path for p in library.photos(organizing.with_marks(None, favourites))} == favourites

    moved = tmp_path / "photos" / "sorted" / "moved.png"
    moved.parent.mkdir()
    (tmp_path / "photos" / reds[0].rsplit("/", 1)[1]).rename(moved)
    library.index()
    mark = library.user_data.mark(str(moved))
    assert mark.rating == 4 and mark.favourite
    with pytest.raises(QueryError, match="not in the library"):
        organizing.rate(library, [reds[0]], 3)
    with pytest.raises(QueryError, match="0 to 5"):
        organizing.rate(library, [str(moved)], 6)


def test_albums_manual_and_smart_survive_moves_and_take_in_new_photos(library, tmp_path):
    library, truth = library
    trip = organizing.create_album(library, "Trip")
    chosen = sorted(truth)[:3]
    assert organizing.add_to_album(library, "Trip", chosen) == 3
    organizing.create_album(library, "Greens", query="a green circle")
    greens_before = organizing.album_paths(library, "Greens")
    assert greens_before and all(truth[p].colour == "green" for p in list(greens_before)[:3])

    renamed = tmp_path / "photos" / "renamed.png"
    (tmp_path / "photos" / chosen[0].rsplit("/", 1)[1]).rename(renamed)
    arrived = write_photos(tmp_path / "photos" / "new", 20, seed=12)
    library.index()
    assert {p.path for p in organizing.album_photos(library, trip.id)} == {str(renamed), *chosen[1:]}
    new_greens = {str(p) for p, t in arrived if t.colour == "green"} & organizing.album_paths(
        library, "Greens")
    assert new_greens  # a smart album is its search, run again
    with pytest.raises(QueryError, match="smart album"):
        organizing.add_to_album(library, "Greens", chosen[1:2])


def photofinder(*args: str, code: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "photofinder", *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stderr[-2000:]
    return result


def test_rate_favourite_album_and_min_rating_from_the_command_line(tiny_model, tmp_path):
    photos = [str(p) for p, _ in write_photos(tmp_path / "photos", 24, seed=13)]
    photofinder("index", str(tmp_path / "photos"))
    assert json.loads(photofinder("rate", "3", *photos[:4], "--json").stdout) == {"rated": 4}
    photofinder("rate", "5", photos[0])
    photofinder("favourite", photos[5])
    found = json.loads(photofinder("search", "a circle", "--all", "--min-rating", "3", "--json").stdout)
    assert sorted(h["path"] for h in found) == sorted(photos[:4])
    found = json.loads(photofinder("search", "a circle", "--all", "--min-rating", "5", "--json").stdout)
    assert [h["path"] for h in found] == [photos[0]]
    found = json.loads(photofinder("search", "a circle", "--all", "--favourites", "--json").stdout)
    assert [h["path"] for h in found] == [photos[5]]

    photofinder("album", "create", "Best")
    photofinder("album", "add", "Best", *photos[:2])
    shown = json.loads(photofinder("album", "show", "Best", "--json").stdout)
    assert sorted(p["path"] for p in shown) == sorted(photos[:2])
    assert json.loads(photofinder("album", "list", "--json").stdout) == [
        {"name": "Best", "smart": None, "photos": 2}]
    bad = photofinder("album", "add", "Nope", photos[0], code=2)  # a usage error
    assert bad.stderr.strip() == "photofinder: no album 'Nope'"
    photofinder("rate", "9", photos[0], code=2)

"""The user store: what people make by hand, in SQLite, apart from the index."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from photofinder.config import Paths, Settings
from photofinder.errors import QueryError
from photofinder.library import Library
from photofinder.user_data import (
    SCHEMA_VERSION, LibraryFolder, PhotoKey, ReadOnlyError, UserData, UserDataError,
)


@pytest.fixture
def store(tmp_path) -> UserData:
    return UserData(tmp_path / "user_data.sqlite3")


def test_ratings_and_favourites_round_trip_and_survive_reopening(store):
    photo = PhotoKey("/p/a.jpg", "fp-a")
    assert store.set_rating(photo, 4).rating == 4
    mark = store.set_favourite(photo, True)
    assert (mark.rating, mark.favourite, mark.fingerprint) == (4, True, "fp-a")
    store.set_rating(PhotoKey("/p/b.jpg", "fp-b"), 2)
    store.close()
    again = UserData(store.file)
    assert {p: m.rating for p, m in again.marks().items()} == {"/p/a.jpg": 4, "/p/b.jpg": 2}
    assert again.marks(["/p/b.jpg", "/p/none.jpg"]).keys() == {"/p/b.jpg"}
    again.set_rating(PhotoKey("/p/b.jpg", "fp-b"), 0)
    assert again.mark("/p/b.jpg") is None  # nothing left to remember
    with pytest.raises(QueryError, match="0 to 5"):
        again.set_rating(photo, 6)
    assert again.mark("/p/a.jpg").rating == 4


def test_manual_and_smart_albums(store):
    trip = store.create_album("Trip")
    smart = store.create_album("Red things", query="red", filters={"after": "2024-01-01"})
    assert not trip.is_smart and smart.is_smart and smart.filters == {"after": "2024-01-01"}
    photos = [PhotoKey(f"/p/{i}.jpg", f"fp{i}") for i in range(3)]
    assert store.add_to_album(trip.id, photos) == 3
    assert store.add_to_album(trip.id, photos[:1]) == 0  # already there
    assert [i.path for i in store.album_items(trip.id)] == [p.path for p in photos]
    assert store.remove_from_album(trip.id, ["/p/1.jpg"]) == 1
    with pytest.raises(QueryError, match="exists already"):
        store.create_album("Trip")
    assert store.album("Red things").id == smart.id
    assert [a.name for a in store.albums()] == ["Red things", "Trip"]
    assert store.rename_album(trip.id, "Holiday").name == "Holiday"
    assert store.set_album_query(smart.id, "blue").query == "blue"
    assert store.delete_album(trip.id)
    assert store.album_items(trip.id) == []
    with pytest.raises(QueryError):
        store.add_to_album(trip.id, photos)


def test_feedback_keeps_the_query_vector(store):
    vector = np.random.default_rng(0).standard_normal(512).astype(np.float32)
    saved = store.add_feedback("q1", "a red circle", vector, PhotoKey("/p/a.jpg", "fp-a"), 9)
    store.add_feedback("q2", "blue", None, PhotoKey("/p/b.jpg", "fp-b"), 1)
    assert saved.rating == 9 and saved.query_text == "a red circle"
    np.testing.assert_array_equal(store.feedback("q1")[0].vector, vector)
    assert [f.query_id for f in store.feedback()] == ["q1", "q2"]
    with pytest.raises(QueryError, match="1 to 10"):
        store.add_feedback("q3", "x", vector, PhotoKey("/p/a.jpg"), 0)


def test_folders_exclusions_and_forgotten_photos(store):
    assert store.add_folder("/photos") and not store.add_folder("/photos")
    store.add_folder("/share", poll=True)
    assert store.folders() == [LibraryFolder("/photos"), LibraryFolder("/share", True)]
    assert store.remove_folder("/photos") and store.folders() == [LibraryFolder("/share", True)]
    store.exclude_folder("/share/private")
    store.set_excluded_folders(["/share/tmp", "/share/private"])
    assert sorted(store.excluded_folders()) == ["/share/private", "/share/tmp"]
    assert store.include_folder("/share/tmp") and store.excluded_folders() == ["/share/private"]
    store.forget_photos([PhotoKey("/share/x.jpg", "fp-x")])
    assert [(f.path, f.fingerprint) for f in store.forgotten_photos()] == [("/share/x.jpg", "fp-x")]
    assert store.unforget_photos(["/share/x.jpg"]) == 1 and store.forgotten_photos() == []


def test_items_follow_a_moved_photo_but_not_a_copy(store, tmp_path):
    old, new, copy = tmp_path / "old.jpg", tmp_path / "new.jpg", tmp_path / "copy.jpg"
    old.write_bytes(b"x")
    copy.write_bytes(b"y")
    store.set_rating(PhotoKey(str(old), "fp-1"), 5)
    store.set_rating(PhotoKey(str(copy), "fp-2"), 3)
    album = store.create_album("A")
    store.add_to_album(album.id, [PhotoKey(str(old), "fp-1")])
    store.add_feedback("q", "t", None, PhotoKey(str(old), "fp-1"), 8)
    old.rename(new)
    assert store.follow_moves([PhotoKey(str(new), "fp-1"), PhotoKey(str(tmp_path / "c2.jpg"), "fp-2")]) == 3
    assert store.mark(str(new)).rating == 5 and store.mark(str(old)) is None
    assert [i.path for i in store.album_items(album.id)] == [str(new)]
    assert store.feedback()[0].path == str(new)
    assert store.mark(str(copy)).rating == 3  # the original is still there: a copy


def test_a_store_from_a_newer_photofinder_is_refused_untouched(tmp_path):
    file = tmp_path / "user_data.sqlite3"
    UserData(file).set_rating(PhotoKey("/a.jpg"), 3)
    with sqlite3.connect(file) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(UserDataError, match="newer photofinder"):
        UserData(file)
    with sqlite3.connect(file) as db:
        assert db.execute("SELECT rating FROM photo_marks").fetchall() == [(3,)]


def test_a_read_only_store_reads_and_refuses_changes(tmp_path):
    file = tmp_path / "user_data.sqlite3"
    UserData(file).set_rating(PhotoKey("/a.jpg"), 3)
    read_only = UserData(file, read_only=True)
    assert read_only.mark("/a.jpg").rating == 3
    with pytest.raises(ReadOnlyError, match="read-only"):
        read_only.set_rating(PhotoKey("/a.jpg"), 1)
    assert UserData(tmp_path / "none.sqlite3", read_only=True).folders() == []


def test_folders_in_an_old_settings_file_move_to_the_user_store():
    paths = Paths.from_environment()
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.settings_file.write_text(json.dumps({
        "thumbnail_size": 200, "folders": [{"path": "/photos", "poll": False},
                                           {"path": "/share", "poll": True}],
        "excluded_folders": ["/photos/private"], "from_a_newer_version": 1}))
    library = Library()
    assert library.folders() == ["/photos", "/share"]
    assert library.library_folders()[1].poll
    assert library.user_data.excluded_folders() == ["/photos/private"]
    saved = json.loads(paths.settings_file.read_text())
    assert "folders" not in saved and "excluded_folders" not in saved
    assert saved["thumbnail_size"] == 200 and saved["from_a_newer_version"] == 1
    assert Library().folders() == ["/photos", "/share"]  # and nothing doubled
    assert Settings.load(paths.settings_file).thumbnail_size == 200


WRITER = """
import sys
from photofinder.user_data import UserData
store = UserData(sys.argv[1])
for i in range(int(sys.argv[3])):
    store.add_folder(f"/{sys.argv[2]}/{i}")
"""


def test_two_processes_adding_folders_at_once_keep_both(tmp_path):
    file = tmp_path / "user_data.sqlite3"
    UserData(file)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(file), name, "40"])
               for name in ("a", "b")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert len(UserData(file).folders()) == 80

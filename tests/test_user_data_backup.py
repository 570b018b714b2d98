"""Backups of the user store (daily, 7 kept), a damaged store restored from them, and
export / import as JSON."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

from photofinder.config import Paths
from photofinder.errors import QueryError
from photofinder.library import Library
from photofinder.user_data import PhotoKey, UserData
from photofinder.user_data_backup import KEEP_BACKUPS, back_up, backups, open_or_restore
from photofinder.user_data_export import export_user_data, import_user_data


def filled(store: UserData) -> UserData:
    for i in range(30):
        store.set_rating(PhotoKey(f"/p/{i}.jpg", f"fp{i}"), i % 5 + 1)
    album = store.create_album("Trip")
    store.add_to_album(album.id, [PhotoKey(f"/p/{i}.jpg", f"fp{i}") for i in range(5)])
    store.create_album("Red", query="red", filters={"folder": "/p"})
    store.add_feedback("q", "a red circle", np.arange(4, dtype=np.float32), PhotoKey("/p/1.jpg"), 7)
    store.add_folder("/p")
    store.exclude_folder("/p/private")
    store.forget_photos([PhotoKey("/p/x.jpg", "fpx")])
    return store


def test_one_backup_a_day_and_only_the_last_seven_kept(tmp_path):
    store = filled(UserData(tmp_path / "user_data.sqlite3"))
    day = date(2026, 1, 1)
    for n in range(10):
        assert back_up(store, tmp_path / "backups", today=day + timedelta(days=n)) is not None
    assert back_up(store, tmp_path / "backups", today=day + timedelta(days=9)) is None  # done today
    kept = backups(tmp_path / "backups")
    assert len(kept) == KEEP_BACKUPS and kept[0].name == "user_data-2026-01-10.sqlite3"
    copy = UserData(kept[0])
    assert copy.counts() == store.counts()


def test_the_library_backs_up_the_user_store_at_start():
    library = Library()
    library.user_data.set_rating(PhotoKey("/a.jpg"), 4)
    Library()  # the next start: today's backup exists, so it is not made again
    [backup] = backups(library.paths.backups)
    assert sqlite3.connect(backup).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_damaged_store_is_set_aside_and_restored_from_the_backup_plus_what_is_readable(tmp_path):
    file, folder = tmp_path / "user_data.sqlite3", tmp_path / "backups"
    store = filled(UserData(file))
    back_up(store, folder)
    store.set_rating(PhotoKey("/p/after-backup.jpg"), 5)  # newer than the backup
    store.close()
    data = bytearray(file.read_bytes())
    data[:16] = b"\0" * 16  # the header destroyed: not a database any more
    file.write_bytes(bytes(data))
    restored, notice = open_or_restore(file, folder)
    assert "was damaged" in notice and "broken-" in notice and "user_data-" in notice
    assert restored.counts()["photo_marks"] >= 30 and restored.album("Trip")
    assert list(tmp_path.glob("user_data.sqlite3.broken-*"))  # kept for the user


def test_export_then_import_into_an_empty_store_gives_the_same_items(tmp_path):
    source = filled(UserData(tmp_path / "a.sqlite3"))
    exported = json.loads(json.dumps(export_user_data(source)))  # as written to a file
    target = UserData(tmp_path / "b.sqlite3")
    assert import_user_data(target, exported) > 0
    assert target.counts() == source.counts()
    assert import_user_data(target, exported) == 0  # twice adds nothing
    np.testing.assert_array_equal(target.feedback()[0].vector, np.arange(4, dtype=np.float32))
    assert target.album("Red").filters == {"folder": "/p"}
    with pytest.raises(QueryError, match="not a photofinder"):
        import_user_data(target, {"hello": 1})


def test_cli_export_and_import(tmp_path):
    filled(Library().user_data)
    out = tmp_path / "mine.json"
    run = lambda *args: subprocess.run([sys.executable, "-m", "photofinder", *args],  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    result = run("export-user-data", str(out))
    assert result.returncode == 0 and "30 rated photos, 2 albums" in result.stdout
    Paths.from_environment().user_data_file.unlink()
    result = run("import-user-data", str(out))
    assert result.returncode == 0, result.stderr
    assert len(Library().user_data.marks()) == 30
    out.write_text("{broken")
    result = run("import-user-data", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1  # bad input

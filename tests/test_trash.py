"""Duplicates to the trash and back, through the command line, into a temporary trash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofinder_testing.duplicate_set import make_duplicate_set


@pytest.fixture
def private_trash(tmp_path, monkeypatch) -> Path:
    """send2trash honours XDG_DATA_HOME; HOME on the photos' drive keeps it from choosing
    a trash at the top of another drive. Never the real trash."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "share"))
    return home / "share" / "Trash"


def photofinder(*args: str, stdin: str = "", code: int = 0) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "photofinder", *args], input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == code, result.stderr[-2000:]
    return result


def test_duplicates_go_to_the_trash_after_asking_and_undo_brings_them_back(
        tiny_model, shared_photos, tmp_path, private_trash):
    folder = tmp_path / "photos"
    truth = make_duplicate_set(sorted(shared_photos.glob("*.jpg"))[:6], folder, originals=3,
                               generated=4)
    contents = {p: p.read_bytes() for p in folder.iterdir()}
    photofinder("index", str(folder))

    groups = json.loads(photofinder("duplicates", "--json").stdout)
    assert sorted(sorted([g["keep"]["path"], *(d["path"] for d in g["duplicates"])])
                  for g in groups) == sorted(sorted(t) for t in truth)
    extras = {d["path"] for g in groups for d in g["duplicates"]}

    refused = photofinder("duplicates", "--trash", stdin="n\n", code=1)
    assert "nothing moved" in refused.stderr and all(Path(p).exists() for p in extras)

    trashed = json.loads(photofinder("duplicates", "--trash", "--yes", "--json").stdout)
    assert set(trashed["done"]) == extras and not trashed["failed"]
    assert not any(Path(p).exists() for p in extras)
    assert len(list((private_trash / "files").iterdir())) == len(extras)
    status = json.loads(photofinder("status", "--json").stdout)
    assert status["photos"] == len(contents) - len(extras)
    assert json.loads(photofinder("duplicates", "--json").stdout) == []

    restored = json.loads(photofinder("undo", "--json").stdout)
    assert set(restored["done"]) == extras and not restored["failed"]
    assert {p: p.read_bytes() for p in folder.iterdir()} == contents
    assert not list((private_trash / "files").iterdir())
    assert json.loads(photofinder("status", "--json").stdout)["photos"] == len(contents)
    assert json.loads(photofinder("duplicates", "--json").stdout) == groups  # rows as they were

    nothing = photofinder("undo", code=1)
    assert nothing.stderr.strip() == "photofinder: nothing to undo: no photos were moved to the trash"


def test_a_file_that_cannot_go_is_reported_and_keeps_its_row(
        tiny_model, shared_photos, tmp_path, private_trash):
    from photofinder.library import Library
    from photofinder.trash import trash_photos, undo_trash

    folder = tmp_path / "photos"
    make_duplicate_set(sorted(shared_photos.glob("*.jpg"))[:2], folder, originals=1, generated=0)
    library = Library()
    library.add_folder(folder)
    library.index()
    indexed = {p.path for p in library.photos()}
    [group] = library.duplicates()
    gone, *others = [p.path for p in group.extras]
    os.unlink(gone)  # vanished between the review and the click
    result = trash_photos(library, [gone, *others])
    assert result.done == tuple(others)
    assert [p.path for p in result.failed] == [gone] and "No such file" in result.failed[0].reason
    assert {p.path for p in library.photos()} == indexed - set(others)  # gone's row stays
    assert set(undo_trash(library).done) == set(others)
    assert all(os.path.exists(p) for p in others)

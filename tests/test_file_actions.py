"""Copy, move and export photos: the index follows, marks follow moves, failures lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from photofinder import organizing
from photofinder.file_actions import copy_photos
from photofinder.library import Library
from photofinder_testing.tinymodel.shapes import write_photos


@pytest.fixture
def library(tiny_model, tmp_path):
    photos = [str(p) for p, _ in write_photos(tmp_path / "lib" / "in", 8, seed=5)]
    (tmp_path / "lib" / "sorted").mkdir()
    library = Library()
    library.add_folder(tmp_path / "lib")
    library.index()
    return library, photos


def test_move_keeps_vectors_and_stars_and_a_vanished_file_is_reported(library, tmp_path):
    library, photos = library
    organizing.rate(library, photos[:1], 5)
    vector = library.store.vector_of(photos[0])
    os.unlink(photos[3])  # gone between the selection and the action
    target = tmp_path / "lib" / "sorted"
    result = copy_photos(library, photos[:5], str(target), move=True)
    assert [p.path for p in result.failed] == [photos[3]]
    assert "No such file" in result.failed[0].reason
    moved = {s: d for s, d in result.done}
    assert set(moved) == {*photos[:3], photos[4]}
    assert not any(os.path.exists(s) for s in moved) and all(os.path.exists(d) for d in moved.values())
    indexed = {p.path for p in library.photos()}
    assert set(moved.values()) <= indexed and not set(moved) & indexed
    assert (library.store.vector_of(moved[photos[0]]) == vector).all()
    assert library.user_data.mark(moved[photos[0]]).rating == 5
    assert not [n for n in os.listdir(target) if n.endswith(".partial")]


def read_only(folder) -> callable:
    """Make ``folder`` read-only, even for root (chattr +i where chmod is not enough);
    returns what undoes it."""
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return lambda: folder.chmod(0o755)
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        folder.chmod(0o755)
        pytest.skip("cannot make a folder read-only here (root without chattr)")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_target_fails_each_file_and_loses_nothing(library, tmp_path):
    library, photos = library
    target = tmp_path / "read-only"
    target.mkdir()
    undo = read_only(target)
    try:
        before = {p.path for p in library.photos()}
        result = copy_photos(library, photos[:3], str(target), move=True)
        assert not result.done and [p.path for p in result.failed] == photos[:3]
        assert all(os.path.exists(p) for p in photos[:3]) and not os.listdir(target)
        assert {p.path for p in library.photos()} == before
    finally:
        undo()


def test_copy_and_export_from_the_command_line(library, tmp_path):
    _, photos = library
    out = tmp_path / "out"
    out.mkdir()
    run = [sys.executable, "-m", "photofinder"]
    copied = subprocess.run([*run, "copy", *photos[:2], "--to", str(tmp_path / "lib" / "sorted"),
                             "--json"], capture_output=True, text=True, timeout=300)
    assert copied.returncode == 0, copied.stderr
    done = json.loads(copied.stdout)["done"]
    assert all(os.path.exists(d["from"]) and os.path.exists(d["to"]) for d in done)
    status = subprocess.run([*run, "status", "--json"], capture_output=True, text=True, timeout=300)
    assert json.loads(status.stdout)["photos"] == len(photos) + 2
    exported = subprocess.run([*run, "export", photos[0], "--to", str(out), "--max-side", "32"],
                              capture_output=True, text=True, timeout=300)
    assert exported.returncode == 0 and "1 photos exported" in exported.stdout
    [name] = os.listdir(out)
    with Image.open(out / name) as picture:
        assert picture.format == "JPEG" and max(picture.size) == 32

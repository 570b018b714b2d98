"""Fingerprints match for moved, renamed and copied files and differ for changed ones."""

from __future__ import annotations

import os
import shutil

import pytest

from photofinder.errors import ImageError
from photofinder.fingerprint import HEAD_BYTES, TAIL_BYTES, fingerprint

SIZE = 3 * HEAD_BYTES


@pytest.fixture
def content() -> bytes:
    return os.urandom(SIZE)


def fingerprint_of(path) -> str:
    return fingerprint(path, os.path.getsize(path))


def test_moved_renamed_and_copied_files_match(tmp_path, content):
    original = tmp_path / "IMG_0001.jpg"
    original.write_bytes(content)
    before = fingerprint_of(original)
    (tmp_path / "2024").mkdir()
    moved = original.rename(tmp_path / "2024" / "beach.jpg")
    copied = shutil.copy(moved, tmp_path / "copy of beach.jpg")
    assert fingerprint_of(moved) == before == fingerprint_of(copied)
    assert len(before) == 64 and int(before, 16) >= 0


@pytest.mark.parametrize("where", [0, HEAD_BYTES - 1, SIZE - TAIL_BYTES, SIZE - 1])
def test_a_change_in_the_head_or_tail_changes_it(tmp_path, content, where):
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(content)
    edited = bytearray(content)
    edited[where] ^= 0xFF
    b.write_bytes(bytes(edited))
    assert fingerprint_of(a) != fingerprint_of(b)


def test_the_middle_is_not_read(tmp_path, content):
    """The price of speed: an edit between head and tail is seen by mtime/size, not here."""
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(content)
    edited = bytearray(content)
    edited[SIZE // 2] ^= 0xFF
    b.write_bytes(bytes(edited))
    assert fingerprint_of(a) == fingerprint_of(b)


def test_the_size_is_part_of_it(tmp_path):
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(b"\x00" * 10)
    b.write_bytes(b"\x00" * 11)
    assert fingerprint_of(a) != fingerprint_of(b)
    assert fingerprint(a, 10) != fingerprint(a, 11)


@pytest.mark.parametrize(
    "size", [1, TAIL_BYTES, HEAD_BYTES, HEAD_BYTES + 1, HEAD_BYTES + TAIL_BYTES + 1]
)
def test_small_and_boundary_sizes_are_stable(tmp_path, size):
    path = tmp_path / "small.jpg"
    path.write_bytes(os.urandom(size))
    assert fingerprint_of(path) == fingerprint_of(path)


def test_vanished_file(tmp_path):
    with pytest.raises(ImageError, match="^file vanished$"):
        fingerprint(tmp_path / "gone.jpg", 100)


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.jpg"
    path.write_bytes(b"x" * 100)
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("permissions do not stop this user (root)")
    with pytest.raises(ImageError, match="^permission denied$"):
        fingerprint(path, 100)

"""The scanner finds every photo once, leaves out what it must, and reports what it cannot read."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from helpers.hostile_corpus import encoded, make_hostile_corpus, photo

from photofinder.indexing.scanner import PHOTO_EXTENSIONS, SYSTEM_FOLDERS, is_photo_name, scan
from photofinder.records import FileProblem

JPEG = encoded(photo(), "JPEG")


@pytest.fixture
def corpus(tmp_path):
    made = make_hostile_corpus(tmp_path / "library")
    yield made
    made.unlock()


def scan_paths(*roots, excluded=()) -> tuple[list[Path], list[FileProblem]]:
    problems: list[FileProblem] = []
    found = [Path(stat.path) for stat in scan(roots, excluded=excluded, on_problem=problems.append)]
    return found, problems


def write_photo(path: Path, data: bytes = JPEG) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_finds_exactly_the_photos_of_the_hostile_corpus(corpus):
    found, _ = scan_paths(corpus.root)
    assert len(found) == len(set(found)), "a file was found twice"
    assert set(found) == corpus.scanned


def test_reports_empty_broken_and_unreadable_files_and_carries_on(corpus):
    _, problems = scan_paths(corpus.root)
    reported = {Path(problem.path): problem.reason for problem in problems}
    assert reported.keys() == corpus.scan_problems.keys()
    for path, word in corpus.scan_problems.items():
        assert word in reported[path]
        assert "\n" not in reported[path]


def test_leaves_out_hidden_and_system_folders(corpus):
    found, _ = scan_paths(corpus.root)
    assert not set(found) & set(corpus.hidden)
    assert corpus.hidden, "the corpus must hide something"


@pytest.mark.parametrize("folder", ["@eaDir", "System Volume Information", "$RECYCLE.BIN", "lost+found",
                                    "__MACOSX", ".thumbnails", ".Trash-1000", "#recycle"])
def test_each_system_folder_is_left_out(tmp_path, folder):
    write_photo(tmp_path / folder / "photo.jpg")
    kept = write_photo(tmp_path / "kept.jpg")
    assert scan_paths(tmp_path)[0] == [kept]


def test_results_carry_absolute_path_size_and_mtime(tmp_path, monkeypatch):
    path = write_photo(tmp_path / "a" / "photo.jpg")
    os.utime(path, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    monkeypatch.chdir(tmp_path)
    [stat] = list(scan(["a"]))
    assert stat.path == str(path)
    assert stat.size == len(JPEG)
    assert stat.mtime_ns == 1_600_000_000_123_456_789


def test_symlink_loop_ends_and_yields_each_photo_once(tmp_path):
    inner = write_photo(tmp_path / "a" / "b" / "photo.jpg")
    (tmp_path / "a" / "b" / "up").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "a" / "self").symlink_to(".", target_is_directory=True)
    started = time.monotonic()
    found, problems = scan_paths(tmp_path)
    assert time.monotonic() - started < 1
    assert found == [inner] and problems == []


def test_follows_links_to_folders_outside_the_root(tmp_path):
    outside = write_photo(tmp_path / "elsewhere" / "photo.jpg")
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "linked").symlink_to(outside.parent, target_is_directory=True)
    found, _ = scan_paths(tmp_path / "library")
    assert found == [tmp_path / "library" / "linked" / "photo.jpg"]


def test_overlapping_roots_yield_each_photo_once(tmp_path):
    write_photo(tmp_path / "sub" / "photo.jpg")
    found, _ = scan_paths(tmp_path / "sub", tmp_path)
    assert found == [tmp_path / "sub" / "photo.jpg"]


def test_excluded_folders_and_everything_below_are_left_out(tmp_path):
    kept = write_photo(tmp_path / "keep" / "photo.jpg")
    write_photo(tmp_path / "private" / "photo.jpg")
    write_photo(tmp_path / "private" / "deeper" / "photo.jpg")
    (tmp_path / "keep" / "link_to_private").symlink_to(tmp_path / "private", target_is_directory=True)
    found, _ = scan_paths(tmp_path, excluded=[str(tmp_path / "private") + os.sep])
    assert found == [kept]


def test_a_root_inside_an_excluded_folder_yields_nothing(tmp_path):
    write_photo(tmp_path / "private" / "album" / "photo.jpg")
    assert scan_paths(tmp_path / "private" / "album", excluded=[tmp_path / "private"])[0] == []


def test_a_root_may_be_a_single_file(tmp_path):
    path = write_photo(tmp_path / "one.JPG")
    (tmp_path / "notes.txt").write_text("x")
    assert scan_paths(path, tmp_path / "notes.txt")[0] == [path]


def test_a_missing_root_is_reported(tmp_path):
    found, problems = scan_paths(tmp_path / "unplugged_disk")
    assert found == []
    assert problems == [FileProblem(str(tmp_path / "unplugged_disk"), "not found")]


def test_a_folder_that_vanishes_during_the_scan_is_reported(tmp_path):
    for name in ("first", "second"):
        write_photo(tmp_path / name / "photo.jpg")
    problems: list[FileProblem] = []
    scanning = scan([tmp_path], on_problem=problems.append)
    visited = Path(next(scanning).path).parent
    other = tmp_path / ({"first", "second"} - {visited.name}).pop()
    shutil.rmtree(other)
    assert list(scanning) == []
    assert problems == [FileProblem(str(other), "folder vanished")]


def test_unreadable_folder_is_reported(tmp_path):
    locked = write_photo(tmp_path / "locked" / "photo.jpg").parent
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("permissions do not stop this user (root)")
        found, problems = scan_paths(tmp_path)
    finally:
        locked.chmod(0o755)
    assert found == []
    assert problems == [FileProblem(str(locked), "permission denied")]


def test_names_that_are_not_utf8_are_reported(tmp_path):
    name = os.fsdecode(b"caf\xe9.jpg")  # Latin-1 bytes from an old camera or Samba share
    write_photo(tmp_path / name)
    found, problems = scan_paths(tmp_path)
    assert found == []
    assert [problem.reason for problem in problems] == [
        "name is not valid UTF-8: rename the file or its folder"
    ]


@pytest.mark.parametrize("name", ["a.jpg", "A.JPG", "b.JpEg", "c.jpe", "d.PNG", "e.tif", "f.TIFF",
                                  "g.webp", "h.bmp", "i.gif", "dots.in.name.jpg"])
def test_photo_names_in_any_case(name):
    assert is_photo_name(name)


@pytest.mark.parametrize("name", ["a.txt", "jpg", ".jpg", "a.jpg.xmp", "a.mov", "a.jpgx", "a.pdf"])
def test_other_names_are_not_photos(name):
    assert not is_photo_name(name)


def test_extensions_are_lowercase_with_a_dot():
    assert all(ext.startswith(".") and ext == ext.lower() for ext in PHOTO_EXTENSIONS)
    assert all(name == name.casefold() for name in SYSTEM_FOLDERS)


@pytest.fixture
def quick_folder(tmp_path):
    """A folder in memory where there is one: making 20,000 files on a busy disk takes seconds."""
    memory = Path("/dev/shm")
    if not (memory.is_dir() and os.access(memory, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="photofinder-test-", dir=memory))
    yield folder
    shutil.rmtree(folder)


def test_twenty_thousand_files_scan_in_well_under_a_second(quick_folder):
    for folder in range(40):
        target = quick_folder / f"album{folder}"
        target.mkdir()
        for index in range(500):
            name = f"IMG_{index:04}.jpg" if index % 5 else f"clip_{index:04}.mov"
            fd = os.open(target / name, os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"x")
            os.close(fd)
    started = time.perf_counter()
    found = sum(1 for _ in scan([quick_folder]))
    elapsed = time.perf_counter() - started
    assert found == 40 * 400
    assert elapsed < 1.0, f"{elapsed:.2f} s for 20,000 files"

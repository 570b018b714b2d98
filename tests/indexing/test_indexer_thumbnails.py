"""Indexing fills the grid's thumbnail cache from its own decode; a cache it cannot write costs nothing."""

from __future__ import annotations

import logging
import os
from datetime import datetime

import pytest
from PIL import Image

from photofinder.indexing.indexer import Indexer
from photofinder.library import Library
from photofinder.thumbnail_cache import DISK_PX, cache_file


@pytest.fixture
def library(tiny_model):
    return Library()


def write_photos(folder):
    """A camera-sized landscape, a small PNG and a sideways JPEG (EXIF orientation 6) whose
    stored left half is red: upright, red is on top."""
    folder.mkdir()
    Image.new("RGB", (2000, 1500), "green").save(folder / "big.jpg", quality=90)
    Image.new("RGB", (100, 80), "yellow").save(folder / "small.png")
    sideways = Image.new("RGB", (1200, 800), "blue")
    sideways.paste("red", (0, 0, 600, 800))
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways.save(folder / "rotated.jpg", quality=90, exif=exif)
    return folder


def thumbnail_of(folder, path) -> Image.Image | None:
    stat = os.stat(path)
    target = cache_file(folder, str(path), stat.st_size, stat.st_mtime_ns)
    return Image.open(target) if target.exists() else None


def test_indexed_photos_have_upright_thumbnails_where_the_grid_looks(library, tmp_path):
    photos = write_photos(tmp_path / "p")
    thumbnails = library.paths.thumbnails
    changes = Indexer(library.store, library.embedder, thumbnails=thumbnails).run([photos])
    assert len(changes.added) == 3 and not changes.problems

    assert thumbnail_of(thumbnails, photos / "big.jpg").size == (DISK_PX, 192)
    assert thumbnail_of(thumbnails, photos / "small.png").size == (100, 80)  # never enlarged
    rotated = thumbnail_of(thumbnails, photos / "rotated.jpg").convert("RGB")
    assert rotated.size == (171, DISK_PX)
    top, bottom = rotated.getpixel((85, 20)), rotated.getpixel((85, 235))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom
    assert not list(thumbnails.rglob("*.tmp"))


def test_existing_thumbnails_are_kept_and_none_are_made_without_a_folder(library, tmp_path):
    photos = write_photos(tmp_path / "p")
    stat = os.stat(photos / "big.jpg")
    kept = cache_file(tmp_path / "thumbs", str(photos / "big.jpg"), stat.st_size, stat.st_mtime_ns)
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"made earlier")
    Indexer(library.store, library.embedder, thumbnails=tmp_path / "thumbs").run([photos])
    assert kept.read_bytes() == b"made earlier"
    assert len(list((tmp_path / "thumbs").rglob("*.jpg"))) == 3

    (photos / "new.jpg").write_bytes((photos / "big.jpg").read_bytes() + b"\0")
    Indexer(library.store, library.embedder).run([photos])
    assert len(list((tmp_path / "thumbs").rglob("*.jpg"))) == 3


@pytest.mark.parametrize("blocked", ["file in the way", "read-only folder"])
def test_an_unwritable_thumbnail_folder_does_not_fail_indexing(library, tmp_path, caplog, blocked):
    thumbnails = tmp_path / "thumbs"
    if blocked == "file in the way":
        thumbnails.write_bytes(b"")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        thumbnails.mkdir(mode=0o555)
    photos = write_photos(tmp_path / "p")
    with caplog.at_level(logging.WARNING, logger="photofinder.scan"):
        changes = Indexer(library.store, library.embedder, thumbnails=thumbnails).run([photos])
    assert len(changes.added) == 3 and not changes.problems
    assert library.store.count() == 3
    said = [r for r in caplog.records if "thumbnails" in r.getMessage()]
    assert len(said) == 1


def test_a_dng_is_indexed_from_its_preview_which_is_also_its_grid_thumbnail(library, tmp_path):
    """The raw mosaic is blue, the embedded preview red: everything shown must be red, and
    the size the sensor's."""
    pytest.importorskip("rawpy")
    from photofinder.indexing.images import load_thumbnail
    from photofinder_testing.raw_files import write_dng

    folder = tmp_path / "raw"
    folder.mkdir()
    path, undated = folder / "IMG_0001.DNG", folder / "IMG_0002.dng"
    write_dng(path, Image.new("RGB", (1200, 800), "blue"), (960, 640),
              preview=Image.new("RGB", (12, 8), "red"), taken="2023:07:08 09:10:11")
    write_dng(undated, Image.new("RGB", (600, 400), "blue"))
    os.utime(undated, (1_600_000_000, 1_600_000_000))
    thumbnails = library.paths.thumbnails
    changes = Indexer(library.store, library.embedder, thumbnails=thumbnails).run([folder])
    assert sorted(changes.added) == [str(path), str(undated)] and not changes.problems
    photos = {p.path: p for p in library.store.photos()}
    photo = photos[str(path)]
    assert (photo.width, photo.height) == (1200, 800)
    assert photo.taken_at.isoformat() == "2023-07-08T09:10:11"  # the DNG's date
    # No date in the DNG: the file's time, not the 1970 of the EXIF LibRaw makes up.
    assert photos[str(undated)].taken_at == datetime.fromtimestamp(1_600_000_000)
    cached = thumbnail_of(thumbnails, path).convert("RGB")
    assert cached.size == (DISK_PX, 171) and _red(cached.getpixel((100, 80)))
    assert _red(load_thumbnail(path, 128).getpixel((60, 40)))  # a grid without the cache
    assert library.search_text("a red square", 5)[0].photo.path == str(path)


def _red(pixel) -> bool:
    return pixel[0] > 200 and pixel[2] < 60

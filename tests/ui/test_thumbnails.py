"""The thumbnail pipeline: disk cache keyed by file version, LIFO requests, stale results dropped,
loaders that keep out of the GUI thread's way."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from photofinder_testing.camera_exif import exif_block, preview_jpeg
from photofinder.ui import thumbnails
from photofinder.ui.workers import BACKGROUND_NICENESS
from photofinder.ui.thumbnails import DISK_PX, ThumbnailCache, cache_file


@pytest.fixture
def make_cache():
    """Caches stopped, and their pixmaps freed, before the test ends (not after QApplication is gone)."""
    made = []

    def make(folder, tile_px=128):
        made.append(ThumbnailCache(folder, tile_px))
        return made[-1]

    yield make
    for cache in made:
        cache.stop()  # no loader outlives the test
        cache.clear()


def write_photo(path, colour, size=(1600, 1200), preview=None):
    """A JPEG of one colour; ``preview`` (colour, size) adds a camera's EXIF preview."""
    exif = exif_block(preview=preview_jpeg(Image.new("RGB", (8, 8), preview[0]), preview[1])
                      ) if preview else b""
    Image.new("RGB", size, colour).save(path, quality=92, exif=exif)
    return str(path)


def centre(pixmap):
    image = pixmap.toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def load(qtbot, cache: ThumbnailCache, path: str):
    assert cache.pixmap(path) is None  # a miss queues the request
    with qtbot.waitSignal(cache.ready, timeout=10_000, check_params_cb=lambda p: p == path):
        pass
    return cache.pixmap(path)


def cache_files(folder) -> list:
    return sorted(folder.rglob("*.jpg"))


def test_thumbnails_are_cached_on_disk_and_remade_after_an_edit(qtbot, tmp_path, make_cache):
    photo = write_photo(tmp_path / "photo.jpg", "red")
    folder = tmp_path / "cache"
    cache = make_cache(folder)
    pixmap = load(qtbot, cache, photo)
    assert max(pixmap.width(), pixmap.height()) == 160  # 128 px tiles, made 25% larger
    [first] = cache_files(folder)
    stat = os.stat(photo)
    assert first == cache_file(folder, photo, stat.st_size, stat.st_mtime_ns)
    assert first.stat().st_size <= 25_000
    assert max(QImage(str(first)).width(), QImage(str(first)).height()) == DISK_PX

    cache.clear()  # a second read comes from the disk cache, not from the photo
    load(qtbot, cache, photo)
    assert cache_files(folder) == [first]

    write_photo(photo, "blue", size=(1200, 1600))  # the photo is edited
    os.utime(photo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    cache.forget([photo])
    pixmap = load(qtbot, cache, photo)
    assert (pixmap.width(), pixmap.height()) == (120, 160)
    assert QImage(pixmap.toImage()).pixelColor(60, 80).blue() > 200
    assert len(cache_files(folder)) == 2


def test_a_camera_preview_shows_at_once_then_the_real_thumbnail(qtbot, tmp_path, make_cache):
    photo = write_photo(tmp_path / "photo.jpg", "red", preview=("blue", (160, 120)))
    folder = tmp_path / "cache"
    cache = make_cache(folder)
    first = load(qtbot, cache, photo)
    assert centre(first).blue() > 200 and (first.width(), first.height()) == (160, 120)
    assert not cache_files(folder)  # a preview is never stored as the thumbnail
    with qtbot.waitSignal(cache.ready, timeout=10_000):
        pass  # the loader goes on to make the real one
    real = cache.pixmap(photo)
    assert centre(real).red() > 200 and (real.width(), real.height()) == (160, 120)
    assert len(cache_files(folder)) == 1
    cache.clear()
    assert centre(load(qtbot, cache, photo)).red() > 200  # from the disk cache: no preview


def test_a_preview_of_another_shape_is_not_shown(qtbot, tmp_path, make_cache):
    """A photo cropped by a program that kept the camera's preview: the preview is stale."""
    photo = write_photo(tmp_path / "photo.jpg", "red", preview=("blue", (120, 120)))
    cache = make_cache(tmp_path / "cache")
    assert centre(load(qtbot, cache, photo)).red() > 200


def test_unreadable_photo_gets_a_broken_tile_once(qtbot, tmp_path, make_cache):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    cache = make_cache(tmp_path / "cache")
    broken = load(qtbot, cache, str(bad))
    assert broken is not None and not broken.isNull()
    assert cache.pixmap(str(bad)) is broken  # no second request
    assert not cache_files(tmp_path / "cache")


def test_requests_are_served_newest_first(monkeypatch, tmp_path, make_cache):
    monkeypatch.setattr(thumbnails, "LOADERS", 0)  # queue only, no loaders
    cache = make_cache(tmp_path)
    for name in ("a", "b", "c"):
        cache.pixmap(name)
    cache.pixmap("a")  # painted again: on screen now, so first again
    order = []
    while (job := cache._next()) is not None:
        order.append(job[0])
    assert order == ["a", "c", "b"]


def test_results_for_an_old_tile_size_are_dropped(qtbot, tmp_path, make_cache):
    cache = make_cache(tmp_path)
    old_generation = cache._generation
    cache.set_tile_size(200)
    image = QImage(128, 96, QImage.Format.Format_RGB32)
    cache._on_loaded("/x.jpg", old_generation, image)
    assert "/x.jpg" not in cache._pixmaps
    cache._on_loaded("/x.jpg", cache._generation, image)
    assert "/x.jpg" in cache._pixmaps


def test_ram_cache_is_bounded(tmp_path, make_cache):
    cache = make_cache(tmp_path)
    cache.set_capacity(0)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    for n in range(thumbnails.MIN_RAM_TILES + 50):
        cache._on_loaded(f"/p{n}.jpg", cache._generation, image)
    assert len(cache._pixmaps) == thumbnails.MIN_RAM_TILES
    assert "/p0.jpg" not in cache._pixmaps


def test_offline_photo_keeps_the_thumbnail_of_its_indexed_version(qtbot, tmp_path, make_cache):
    drive = tmp_path / "drive"
    drive.mkdir()
    seen, unseen = write_photo(drive / "seen.jpg", "blue"), write_photo(drive / "unseen.jpg", "red")
    indexed = {p: (os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in (seen, unseen)}
    cache = make_cache(tmp_path / "cache")
    load(qtbot, cache, seen)
    os.rename(drive, tmp_path / "unplugged")
    cache.clear()

    def shown(path):
        assert cache.pixmap(path, indexed[path]) is None
        with qtbot.waitSignal(cache.ready, timeout=10_000, check_params_cb=lambda p: p == path):
            pass
        return cache.pixmap(path, indexed[path]).toImage()

    image = shown(seen)  # made while online: still shown
    assert image.pixelColor(image.width() // 2, image.height() // 2).blue() > 200
    broken = shown(unseen)  # never seen: a broken tile for now...
    assert broken.pixelColor(broken.width() // 2, broken.height() // 2).red() < 240
    os.rename(tmp_path / "unplugged", drive)
    cache.retry_below(str(drive))  # ...and the real one once the drive is back
    image = shown(unseen)
    assert image.pixelColor(image.width() // 2, image.height() // 2).red() > 200


def test_results_reach_the_gui_thread_in_batches(qtbot, tmp_path, make_cache, monkeypatch):
    """Each call into the GUI thread must win the GIL back from busy workers: one per batch."""
    tile = QImage(8, 8, QImage.Format.Format_RGB32)
    monkeypatch.setattr(thumbnails, "tile_image", lambda *args: (tile, True))
    cache = make_cache(tmp_path)
    wake_ups = []
    cache._results.arrived.connect(lambda: wake_ups.append(1), Qt.ConnectionType.DirectConnection)
    paths = [f"/p{n}.jpg" for n in range(20)]
    for path in paths:
        cache.pixmap(path)
    deadline = time.monotonic() + 10
    while len(cache._finished) < len(paths) and time.monotonic() < deadline:
        time.sleep(0.01)  # the GUI thread is busy: loaders finish them all meanwhile
    qtbot.waitUntil(lambda: len(cache._pixmaps) == len(paths))
    assert len(wake_ups) == 1


def test_loaders_never_scale_with_qimage_scaled(qtbot, tmp_path, make_cache, monkeypatch):
    """QImage.scaled holds the GIL while it works: two loaders left the GUI thread 1%."""
    def forbidden(*args, **kwargs):
        raise AssertionError("QImage.scaled on a loader")

    monkeypatch.setattr(QImage, "scaled", forbidden)
    photo = write_photo(tmp_path / "photo.jpg", "green")
    cache = make_cache(tmp_path / "cache")
    made = load(qtbot, cache, photo)  # made from the photo, then read from the disk cache
    cache.clear()
    cached = load(qtbot, cache, photo)
    assert made.width() == cached.width() == 160


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_loaders_run_below_the_windows_priority(qtbot, tmp_path, make_cache, monkeypatch):
    niceness = []

    def fake(*args):
        niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return QImage(8, 8, QImage.Format.Format_RGB32), True

    monkeypatch.setattr(thumbnails, "tile_image", fake)
    cache = make_cache(tmp_path)
    load(qtbot, cache, "/p.jpg")
    assert niceness[0] >= BACKGROUND_NICENESS
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < BACKGROUND_NICENESS

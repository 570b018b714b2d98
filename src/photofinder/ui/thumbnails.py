"""Thumbnails for the grid, made off the GUI thread (after calibre's cover cache).

The grid asks for a tile's pixmap when it paints it. A miss queues a request
on a LIFO queue, so the tiles on screen now are made before the ones scrolled
past. Loaders read the disk cache (``photofinder.thumbnail_cache``, which
indexing fills as it decodes) or, on a miss, make the thumbnail with
``load_thumbnail``, and hand back a QImage fitted to the tile. A miss on a
camera photo first shows the preview in its EXIF (about 1 ms, against ~40 ms
of decoding a 12 MP photo): every tile on screen gets a picture at once, then
real thumbnails replace the previews, newest first. The GUI thread
turns it into a QPixmap in a bounded LRU. A result made for an old tile size
or before a ``clear()`` is dropped.

Loaders keep out of the way of the GUI thread while it paints:
- they scale while decoding (QImageReader) or with Pillow, which let go of the
  GIL, never with ``QImage.scaled``, which holds it (two loaders left the GUI
  thread 1% of the interpreter's time);
- results cross to the GUI thread in batches: every call into it must win the
  GIL back from busy workers;
- they run on threads of their own, below the window's CPU priority.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPixmap

from photofinder.errors import PhotofinderError
from photofinder.thumbnail_cache import DISK_PX, cache_file, write_thumbnail
from photofinder.ui.workers import run_below_the_window

log = logging.getLogger("photofinder.ui.thumbnails")

LOADERS = 2  # threads making thumbnails at once, below the window's priority: on two cores,
# two loaders at full speed kept the scrolling GUI thread waiting for a CPU for 1.7-2.3 s per
# 300 frames at nice 0, 0.5 s at 10 (workers.BACKGROUND_NICENESS)
STOP_WAIT_MS = 15_000
MAX_PENDING = 600  # older requests beyond this are forgotten (they are long off screen)
MIN_RAM_TILES = 300
OVERSIZE = 1.25  # grids stretch tiles to fill their width: make pixmaps a little larger


def tile_image(cache_dir: Path, path: str, indexed: tuple[int, int] | None, side: int | None,
               preview: bool) -> tuple[QImage, bool]:
    """(image, final) for a tile, on any thread, fitted into a ``side`` square when given: the
    cached thumbnail, made and stored first if needed. With ``preview``, a photo without one
    first gets the camera's EXIF preview if it has one (not final: the real thumbnail is
    still to be made). ``indexed`` (size, mtime) finds the thumbnail of a photo that cannot
    be read now."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        image = _read(cache_file(cache_dir, path, *indexed), side) if indexed else QImage()
        if image.isNull():
            raise FileNotFoundError(f"{path}: {exc.strerror}") from exc
        return image, True
    target = cache_file(cache_dir, path, stat.st_size, stat.st_mtime_ns)
    image = _read(target, side)
    if not image.isNull():
        return image, True
    if preview and side is not None:
        from photofinder.indexing.images import load_preview  # Pillow only when a photo is read

        placeholder = load_preview(path, side)
        if placeholder is not None:
            return _qimage(placeholder), False
    return _make_thumbnail(path, target, side), True


def _read(file: Path, side: int | None) -> QImage:
    """The image in ``file``, decoded and scaled in one call that lets go of the GIL."""
    reader = QImageReader(str(file))
    size = reader.size()
    if side is not None and size.isValid():
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    return reader.read()


def _make_thumbnail(path: str, target: Path, side: int | None) -> QImage:
    from PIL import Image

    from photofinder.indexing.images import load_thumbnail  # Pillow only once a thumbnail is made

    picture = load_thumbnail(path, DISK_PX)
    write_thumbnail(target, picture)
    if side is not None:
        fitted = QSize(*picture.size).scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio)
        picture = picture.resize((fitted.width(), fitted.height()), Image.Resampling.BICUBIC)
    return _qimage(picture)


def _qimage(picture) -> QImage:
    """A QImage copy of an RGB Pillow image."""
    width, height = picture.size
    return QImage(picture.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class _Results(QObject):
    """Tells the GUI thread that finished thumbnails wait for it."""

    arrived = Signal()  # the first result since the GUI thread last took them
    errored = Signal(object)  # a bug while making a thumbnail


class ThumbnailCache(QObject):
    """Pixmaps of the tiles, by photo path; see the module docstring."""

    ready = Signal(str)  # the thumbnail of this path can be painted now
    errored = Signal(object)  # an unexpected exception in a loader

    def __init__(self, cache_dir: Path, tile_px: int, parent: QObject | None = None):
        super().__init__(parent)
        self.cache_dir = cache_dir
        self._tile_px = tile_px
        self._ratio = 1.0
        self._capacity = MIN_RAM_TILES
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._failed: set[str] = set()
        self._lock = threading.Lock()
        self._pending: OrderedDict[str, tuple[int, int] | None] = OrderedDict()  # newest last
        self._refine: OrderedDict[str, tuple[int, int] | None] = OrderedDict()  # shown as previews
        self._in_flight: set[str] = set()
        self._finished: list[tuple[str, int, QImage | None]] = []  # path, generation, image
        self._loaders = 0
        self._pool = QThreadPool(self)  # its own threads: they run at a lower priority
        self._pool.setMaxThreadCount(max(1, LOADERS))
        self._generation = 0
        self._stopped = False
        self._results = _Results(self)
        self._results.arrived.connect(self._take_finished)
        self._results.errored.connect(self.errored)
        self._broken: QPixmap | None = None

    # --- asked by the models and views (GUI thread) ---------------------------

    def pixmap(self, path: str, indexed: tuple[int, int] | None = None) -> QPixmap | None:
        """The tile's pixmap now, or None after queueing a request for it; ``indexed`` is the
        photo's (size, mtime) in the index, for when it is offline."""
        pixmap = self._pixmaps.get(path)
        if pixmap is not None:
            self._pixmaps.move_to_end(path)
            return pixmap
        if path in self._failed:
            return self._broken_pixmap()
        self._request(path, indexed)
        return None

    def set_tile_size(self, tile_px: int, device_pixel_ratio: float = 1.0) -> None:
        if (tile_px, device_pixel_ratio) != (self._tile_px, self._ratio):
            self._tile_px, self._ratio = tile_px, device_pixel_ratio
            self.clear()

    def set_capacity(self, tiles: int) -> None:
        """Keep about this many pixmaps in memory (a few screens' worth)."""
        self._capacity = max(MIN_RAM_TILES, tiles)
        self._trim()

    def forget(self, paths) -> None:
        """Drop what is known of these photos (they changed on disk)."""
        for path in paths:
            self._pixmaps.pop(path, None)
            self._failed.discard(path)

    def retry_below(self, folder: str) -> None:
        """The folder is back online: photos below it that could not be read get another try."""
        prefix = folder.rstrip("/") + "/"
        self._failed = {path for path in self._failed if not path.startswith(prefix)}

    def clear(self) -> None:
        """Drop every pixmap and every queued request; results in flight are ignored."""
        with self._lock:
            self._generation += 1
            self._pending.clear()
            self._refine.clear()
        self._pixmaps.clear()
        self._failed.clear()
        self._broken = None

    def stop(self) -> None:
        """No more work: queued requests are dropped; waits while loaders finish their current photo."""
        with self._lock:
            self._stopped = True
            self._pending.clear()
            self._refine.clear()
        if not self._pool.waitForDone(STOP_WAIT_MS):
            log.warning("thumbnail loaders still running after %d s", STOP_WAIT_MS // 1000)

    # --- the queue --------------------------------------------------------------

    def _request(self, path: str, indexed: tuple[int, int] | None) -> None:
        with self._lock:
            if self._stopped or path in self._in_flight:
                return
            _queue(self._pending, path, indexed)
            if self._loaders >= LOADERS:
                return
            self._loaders += 1
        self._pool.start(self._drain)

    def _next(self) -> tuple[str, tuple[int, int] | None, int, int, bool] | None:
        """The next job, newest request first: (path, indexed, generation, side, whether a
        preview will do). Tiles showing a preview get their real thumbnail once no tile
        waits for a first picture."""
        with self._lock:
            queue = self._pending or self._refine
            if not queue or self._stopped:
                self._loaders -= 1
                return None
            path, indexed = queue.popitem(last=True)
            self._in_flight.add(path)
            side = round(self._tile_px * self._ratio * OVERSIZE)
            return path, indexed, self._generation, side, queue is self._pending

    def _drain(self) -> None:
        """A loader: make thumbnails until both queues are empty."""
        run_below_the_window()
        while (job := self._next()) is not None:
            path, indexed, generation, side, preview = job
            final = True
            try:
                image, final = tile_image(self.cache_dir, path, indexed, side, preview)
            except (PhotofinderError, OSError) as exc:
                log.info("no thumbnail for %s: %s", path, exc)
                image = None
            except Exception as exc:  # noqa: BLE001 - a bug: report it, keep the loader alive
                self._results.errored.emit(exc)
                image = None
            with self._lock:
                self._in_flight.discard(path)
                if not final and generation == self._generation:
                    _queue(self._refine, path, indexed)
                self._finished.append((path, generation, image))
                first = len(self._finished) == 1
            if first:
                self._results.arrived.emit()

    def _take_finished(self) -> None:
        with self._lock:
            finished, self._finished = self._finished, []
        for path, generation, image in finished:
            self._on_loaded(path, generation, image)

    def _on_loaded(self, path: str, generation: int, image: QImage | None) -> None:
        if generation != self._generation:
            return
        if image is None:
            self._failed.add(path)
        else:
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self._ratio)
            self._pixmaps[path] = pixmap
            self._trim()
        self.ready.emit(path)

    def _trim(self) -> None:
        while len(self._pixmaps) > self._capacity:
            self._pixmaps.popitem(last=False)

    def _broken_pixmap(self) -> QPixmap:
        """A tile for photos that cannot be shown: a grey square with a cross."""
        if self._broken is None:
            side = round(self._tile_px * 0.6 * self._ratio)
            pixmap = QPixmap(QSize(side, side))
            pixmap.fill(QColor("#d9d9d9"))
            painter = QPainter(pixmap)
            painter.setPen(QColor("#9a9a9a"))
            margin = side // 3
            painter.drawLine(margin, margin, side - margin, side - margin)
            painter.drawLine(side - margin, margin, margin, side - margin)
            painter.end()
            pixmap.setDevicePixelRatio(self._ratio)
            self._broken = pixmap
        return self._broken


def _queue(queue: OrderedDict, path: str, indexed: tuple[int, int] | None) -> None:
    """Put ``path`` at the newest end of ``queue``, forgetting the oldest beyond MAX_PENDING."""
    queue[path] = indexed
    queue.move_to_end(path)
    while len(queue) > MAX_PENDING:
        queue.popitem(last=False)

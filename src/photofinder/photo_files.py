"""An indexed photo's file, handed to another program (the HTTP API) only if it is safe.

A request names a photo by id, never by path; the path comes from the index. Even
so, the file at that path may have changed since it was indexed: replaced by a
symlink to a private file, or moved under a folder the user never added. So the
file is opened only when its real path is inside a library folder and it is the
same file, by size and modification time, that the index holds.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Sequence

from photofinder.errors import NotFoundError
from photofinder.records import Photo
from photofinder.thumbnail_cache import DISK_PX, cache_file, write_thumbnail


def open_indexed(photo: Photo, folders: Sequence[str]) -> BinaryIO:
    """The photo's file opened for reading, or NotFoundError saying why it cannot be served."""
    real = os.path.realpath(photo.path)
    roots = [os.path.realpath(folder) for folder in folders]
    if not any(real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        raise NotFoundError(f"photo {photo.id} is not inside a library folder now")
    try:
        handle = open(real, "rb")
    except OSError as exc:
        raise NotFoundError(f"photo {photo.id} cannot be read: {exc.strerror}") from exc
    status = os.fstat(handle.fileno())
    if not stat.S_ISREG(status.st_mode) or (status.st_size, status.st_mtime_ns) != (
            photo.size, photo.mtime_ns):
        handle.close()
        raise NotFoundError(f"photo {photo.id} changed on disk since it was indexed")
    return handle


def indexed_thumbnail(photo: Photo, folders: Sequence[str], cache_dir: Path) -> Path:
    """The JPEG thumbnail of the indexed version of a photo, made now from its file if
    the cache has none (ImageError when the file cannot be decoded). Only for a file
    that could be served itself: a thumbnail shows what the file holds."""
    target = cache_file(cache_dir, photo.path, photo.size, photo.mtime_ns)
    with open_indexed(photo, folders) as handle:
        if not target.exists():
            from photofinder.indexing.images import load_thumbnail  # Pillow only when made

            write_thumbnail(target, load_thumbnail(handle.name, DISK_PX))  # the checked real path
    return target

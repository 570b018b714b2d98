"""The disk cache of thumbnails, shared by the indexer (which fills it) and the grid.

One JPEG per version of a photo, keyed by path, file size and mtime: an edited
photo gets a new thumbnail, and a photo of an offline folder keeps the one of
the version the index holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the window imports this at start-up, before it needs Pillow
    from PIL import Image

DISK_PX = 256  # longer side of the thumbnails kept on disk
# JPEG quality: about 10-25 KB per thumbnail. optimize=True costs ~0.3 ms a thumbnail
# (~1% of a cold one) and saves 4-12% of the bytes, so it stays.
DISK_QUALITY = 80


def cache_file(cache_dir: Path, path: str, size: int, mtime_ns: int) -> Path:
    """Where the disk thumbnail of this version of a photo lives."""
    key = hashlib.sha1(f"{path}\0{size}\0{mtime_ns}\0{DISK_PX}".encode()).hexdigest()
    return cache_dir / key[:2] / f"{key}.jpg"


def write_thumbnail(target: Path, picture: Image.Image) -> None:
    """Store an upright RGB thumbnail (longer side at most DISK_PX) at ``target`` atomically,
    so a reader never sees half a file; raises OSError (disk full, read-only) and leaves nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.stem}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        picture.save(partial, "JPEG", quality=DISK_QUALITY, optimize=True)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise


"""Replace a small file whole: readers and crashes see the old contents or the new, never half.

One helper for every settings, cache and note file. The temporary name is unique per process
and thread, because the API saves caches from several threads at once and two writers sharing
one temporary file can rename each other's half-written bytes into place.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, durable: bool = True, mode: int = 0o666) -> None:
    """Write a temporary file, rename it over ``path``. ``durable`` also fsyncs the file and its
    folder, so a power cut keeps one whole version (settings, user data); caches that are cheap
    to measure again skip that cost. ``mode`` narrows permissions before a byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable and hasattr(os, "O_DIRECTORY"):  # not on Windows, where the rename is durable
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def write_json_atomically(path: Path, value, *, indent: int | None = None, durable: bool = False,
                          mode: int = 0o666) -> None:
    """``write_atomically`` for JSON; not durable by default, as most JSON files are caches."""
    write_atomically(path, json.dumps(value, indent=indent).encode("utf-8"), durable=durable, mode=mode)

"""Recognise a photo that was moved, renamed or copied without reading all of it.

A match lets the indexer reuse the stored vector instead of running the model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from photofinder.errors import ImageError, os_error_reason

HEAD_BYTES = 1 << 20
TAIL_BYTES = 1 << 10


def fingerprint(path: str | Path, size: int) -> str:
    """Hex SHA-256 of the size, the first 1 MiB and the last 1 KiB of the file.

    ``size`` is the scanned one (``FileStat.size``): no second ``stat`` is needed.
    """
    digest = hashlib.sha256(size.to_bytes(8, "little"))
    try:
        with open(path, "rb") as source:
            digest.update(source.read(HEAD_BYTES))
            if size > HEAD_BYTES:
                source.seek(size - TAIL_BYTES)
                digest.update(source.read(TAIL_BYTES))
    except OSError as error:
        raise ImageError(os_error_reason(error)) from error
    return digest.hexdigest()

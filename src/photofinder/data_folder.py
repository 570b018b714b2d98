"""Whether the data folder can take writes: a library on a read-only disk or a full one
opens for browsing and search, and says so, rather than failing at its first write."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

MIN_FREE_BYTES = 1 << 20  # below this a commit would fail half-way: open read-only


def read_only_reason(folder: Path) -> str:
    """Why ``folder`` cannot be written now, as the OS says it; "" when it can."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".write-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs on Windows: the writes will tell
        return ""
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return os.strerror(errno.ENOSPC)
    return ""

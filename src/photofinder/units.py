"""Sizes and counts as a person reads them: the window's labels and the CLI's status."""

from __future__ import annotations


def human_size(size: float) -> str:
    """Decimal units, like file managers: 812 bytes, 39.0 KB, 1.2 MB, 3.4 GB."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


def photo_count(count: int) -> str:
    """"1 photo", "2,345 photos": never "1 photos"."""
    return f"{count:,} photo{'s' if count != 1 else ''}"

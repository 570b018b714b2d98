"""EXIF blocks as cameras write them, with the small JPEG preview in IFD1: Pillow reads
such previews but cannot write them; and camera names with GPS positions, good or broken.
Used by the tests and the benchmarks' camera photos."""

from __future__ import annotations

import io
import struct

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

_TYPES = {"byte": 1, "ascii": 2, "short": 3, "long": 4, "srational": 10}
_PACKED = {"byte": "B", "short": "H", "long": "I", "srational": "ii"}


def exif_block(model: str = "Test Camera", orientation: int = 1,
               taken: str = "2024:05:01 12:00:00", preview: bytes | None = None) -> bytes:
    """APP1 data for ``Image.save(exif=...)``: IFD0 (Model, Orientation), the Exif IFD
    (DateTimeOriginal) and, given ``preview`` (JPEG bytes), IFD1 pointing at it."""

    def layout(exif_at: int, ifd1_at: int, preview_at: int) -> list[bytes]:
        parts = [_ifd([(0x0110, "ascii", model), (0x0112, "short", orientation),
                       (0x8769, "long", exif_at)], 8, ifd1_at if preview else 0),
                 _ifd([(0x9003, "ascii", taken)], exif_at)]
        if preview:
            parts.append(_ifd([(0x0103, "short", 6), (0x0201, "long", preview_at),
                               (0x0202, "long", len(preview))], ifd1_at))
        return parts

    sizes = [len(part) for part in layout(0, 0, 0)]  # offsets do not change the sizes
    exif_at = 8 + sizes[0]
    ifd1_at = exif_at + sizes[1]
    parts = layout(exif_at, ifd1_at, ifd1_at + sum(sizes[2:]))
    return b"Exif\0\0II*\0" + struct.pack("<I", 8) + b"".join(parts) + (preview or b"")


def preview_jpeg(picture: Image.Image, size: tuple[int, int] = (160, 120)) -> bytes:
    """The picture squeezed into ``size`` as a camera's EXIF preview (160x120 is the usual)."""
    out = io.BytesIO()
    picture.convert("RGB").resize(size, Image.Resampling.BILINEAR).save(out, "JPEG", quality=75)
    return out.getvalue()


def _ifd(entries: list[tuple[int, str, object]], at: int, next_ifd: int = 0) -> bytes:
    """An image file directory placed at offset ``at``, its long values right after it.
    A value is a string (ascii), a number, or a tuple of numbers (a srational is a
    (numerator, denominator) pair)."""
    entries = sorted(entries)
    data_at = at + 2 + 12 * len(entries) + 4
    head, data = struct.pack("<H", len(entries)), b""
    for tag, kind, value in entries:
        if kind == "ascii":
            raw = value.encode() + b"\0"
            count = len(raw)
        else:
            values = value if isinstance(value, tuple) else (value,)
            flat = [n for v in values for n in (v if isinstance(v, tuple) else (v,))]
            raw, count = struct.pack("<" + _PACKED[kind] * len(values), *flat), len(values)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            field = struct.pack("<I", data_at + len(data))
            data += raw + b"\0" * (len(raw) % 2)  # values start on even offsets
        head += struct.pack("<HHI", tag, _TYPES[kind], count) + field
    return head + struct.pack("<I", next_ifd) + data


def camera_gps_exif(make: str | None = None, model: str | None = None,
                    gps: dict[int, object] | None = None) -> bytes:
    """EXIF for ``Image.save(exif=...)`` naming a camera and carrying a GPS IFD, written as
    given (``gps_tags`` for a good position; anything else to test a broken one)."""
    exif = Image.Exif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    if gps is not None:
        exif[0x8825] = gps
    return exif.tobytes()


def gps_tags(latitude: float, longitude: float) -> dict[int, object]:
    """A GPS IFD as phones write it: degrees, minutes, seconds as rationals, N/S and E/W."""

    def dms(value: float) -> tuple:
        value = abs(value)
        degrees, minutes = int(value), int(value * 60) % 60
        seconds = round((value * 3600) % 60, 4)
        return (IFDRational(degrees), IFDRational(minutes), IFDRational(int(seconds * 10_000), 10_000))

    return {1: "N" if latitude >= 0 else "S", 2: dms(latitude),
            3: "E" if longitude >= 0 else "W", 4: dms(longitude)}

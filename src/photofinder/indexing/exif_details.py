"""The camera and the GPS position a photo's EXIF names, for the ``camera:``, ``has:location``
and ``near:`` filters.

Read from the tags the decode already parsed (no second pass over the file). EXIF written by
phones, editors and broken firmware is often wrong: a position that cannot be right (a zero
denominator, minutes past 60, a latitude past 90, the 0,0 of a receiver without a fix) is no
position, and nothing here ever raises: a bad tag must not cost a photo its place in the index.
"""

from __future__ import annotations

import logging
import math
import re

from PIL import ExifTags, Image

log = logging.getLogger("photofinder.decode")

# What makers append to their name in EXIF Make ("NIKON CORPORATION", "OLYMPUS IMAGING CORP.").
_MAKER_SUFFIX = re.compile(
    r"[\s,]+(?:optical|imaging|digital|electronics?|photo)?[\s,]*"
    r"(?:corporation|corp\.?|co\.?,?\s*ltd\.?|company|inc\.?|ltd\.?|gmbh|ag|s\.?a\.?)$",
    re.IGNORECASE)
_GPS_STATUS, _LAT_REF, _LAT, _LON_REF, _LON = 0x0009, 0x0001, 0x0002, 0x0003, 0x0004


def camera_of(exif: Image.Exif) -> str:
    """"Google Pixel 7", "Nikon D750", "Apple iPhone 13" from Make and Model; "" if neither."""
    try:
        make, model = _text(exif.get(ExifTags.Base.Make)), _text(exif.get(ExifTags.Base.Model))
    except Exception as exc:  # noqa: BLE001 - as for GPS: a broken tag is no camera
        log.debug("unreadable Make/Model: %s", exc)
        return ""
    while make and _MAKER_SUFFIX.search(make):
        make = _MAKER_SUFFIX.sub("", make)
    make = " ".join(w.capitalize() if w.isupper() and len(w) > 3 else w for w in make.split())
    if model.lower().startswith(make.lower()):  # "Canon" + "Canon EOS R5"
        model = model[len(make):].strip()
    return " ".join(p for p in (make, model) if p)


def location_of(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from the GPS IFD, or None when it is missing or
    cannot be a real position."""
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        if not gps or _text(gps.get(_GPS_STATUS)).upper() == "V":  # V: no fix ("void")
            return None
        latitude = _degrees(gps.get(_LAT), _text(gps.get(_LAT_REF)), "NS", 90)
        longitude = _degrees(gps.get(_LON), _text(gps.get(_LON_REF)), "EW", 180)
    except Exception as exc:  # noqa: BLE001 - any broken tag means "no position", never a failure
        log.debug("unreadable GPS tags: %s", exc)
        return None
    if latitude is None or longitude is None or latitude == longitude == 0.0:
        return None
    return latitude, longitude


def _degrees(value: object, ref: str, refs: str, limit: float) -> float | None:
    """Degrees from (degrees, minutes, seconds) rationals and a N/S or E/W reference."""
    parts = list(value) if isinstance(value, (tuple, list)) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [float(p) for p in parts] + [0.0] * (3 - len(parts))
    degrees, minutes, seconds = numbers
    if not all(math.isfinite(n) and n >= 0 for n in numbers) or minutes >= 60 or seconds >= 60:
        return None
    total = degrees + minutes / 60 + seconds / 3600
    if total > limit or ref.upper()[:1] not in ("", *refs):
        return None
    return -total if ref.upper()[:1] == refs[1] else total


def _text(value: object) -> str:
    """An ASCII tag as clean text (trailing NULs and padding gone; bytes decoded)."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value.replace("\0", " ").strip() if isinstance(value, str) else ""

"""Decode photos for the model and the thumbnail cache: small, upright, RGB, or one ImageError.

This is the hot path of indexing. JPEGs are decoded at 1/2, 1/4 or 1/8 scale by
libjpeg's DCT scaling (``Image.draft``), so a 24 MP photo never costs a full
decode: a 12 MP JPEG at 1/8 scale takes about a third of the time and 1/64 of the
memory (OpenCV's reduced modes are no faster). Other formats are decoded whole,
then reduced.
"""

from __future__ import annotations

import io
import logging
import os
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from PIL import ExifTags, Image, UnidentifiedImageError

from photofinder.errors import ImageError, ImageTooLarge, NotAnImage, os_error_reason
from photofinder.indexing.exif_details import camera_of, location_of
from photofinder.indexing.scanner import OPTIONAL_DECODERS, is_raw_name

log = logging.getLogger("photofinder.decode")

MAX_PIXELS = 200_000_000
# Pillow's own checks (GIF frames, TIFF tiles) then agree with ours: it warns above
# MAX_PIXELS and refuses above twice that; we refuse above MAX_PIXELS before decoding.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
_TOO_LARGE = f"limit {MAX_PIXELS // 1_000_000} MP"
# An embedded preview at least this long on its shorter side stands in for the photo.
MIN_PREVIEW_SIDE = 480
# Image data sent as a query (pasted, uploaded to the API) is held to less: a small PNG
# that unpacks to 200 MP costs 600 MB and seconds to decode, per request.
MAX_QUERY_PIXELS = 50_000_000

# Only photo formats (JPEG covers MPO): a .jpg that is really EPS must not start Ghostscript.
_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP", *OPTIONAL_DECODERS)

# What Pillow's plugins raise on files they cannot make sense of (RuntimeError: AVIF, HEIF).
_DECODE_ERRORS = (
    OSError,
    RuntimeError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    ZeroDivisionError,
    EOFError,
    struct.error,
    MemoryError,
)

_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG": "PNG",
    b"GIF8": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"RIFF": "WebP",
    b"BM": "BMP",
}

# As ImageOps.exif_transpose, but applied to the RGB copy, which no longer has a TIFF's tags.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# From a full-size (width, height), the smallest size JPEG decoding must still cover.
DraftBox = Callable[[tuple[int, int]], tuple[int, int]]

_EXIF_DATE = re.compile(r"(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")


@dataclass(frozen=True)
class LoadedImage:
    """A photo ready for the model, and what the index keeps about it.

    ``width`` and ``height`` are the full-size photo's, upright; ``image`` is smaller.
    ``taken_at`` is naive local time, from EXIF or else the file's modification time.
    ``thumbnail`` is made from the same decode when asked for, so the grid need not decode again.
    ``camera`` is "" and ``location`` None when EXIF does not say (``exif_details``).
    """

    image: Image.Image
    width: int
    height: int
    taken_at: datetime
    thumbnail: Image.Image | None = None
    has_exif: bool = False
    camera: str = ""
    location: tuple[float, float] | None = None  # (latitude, longitude) in degrees


@dataclass(frozen=True)
class _Decoded:
    image: Image.Image
    width: int
    height: int
    exif: Image.Exif
    taken_at: datetime | None  # by the camera's clock, if it says


def load_image(path: str | Path, min_side: int, thumbnail_px: int = 0) -> LoadedImage:
    """Decode a photo file with its shorter side between ``min_side`` and twice that, and
    with ``thumbnail_px``, a thumbnail whose longer side is at most that."""
    _check_positive(min_side)

    def draft_box(full: tuple[int, int]) -> tuple[int, int]:
        width, height = _fit(full, thumbnail_px) if thumbnail_px else (0, 0)
        return max(width, min_side), max(height, min_side)

    with _opened(path) as (source, modified):
        decoded = _decode_file(path, source, draft_box)
    return _loaded(decoded, min_side, fallback_time=modified, thumbnail_px=thumbnail_px)


def load_image_bytes(data: bytes, min_side: int) -> LoadedImage:
    """Decode a pasted or dropped image; without an EXIF date it was taken now."""
    _check_positive(min_side)
    if not data:
        raise ImageError("empty file")
    decoded = _decode(io.BytesIO(data), lambda size: (min_side, min_side), MAX_QUERY_PIXELS)
    return _loaded(decoded, min_side, fallback_time=datetime.now())


def load_thumbnail(path: str | Path, size: int) -> Image.Image:
    """Decode a photo file as an upright RGB thumbnail whose longer side is at most ``size``."""
    _check_positive(size)
    with _opened(path) as (source, _modified):
        image = _decode_file(path, source, lambda full: _fit(full, size)).image
    return _shrunk(image, size)


def load_preview(path: str | Path, size: int) -> Image.Image | None:
    """The small JPEG preview a camera stores in a photo's EXIF (IFD1), upright, RGB and
    fitted to ``size`` along its longer side (enlarged if need be), or None when the photo
    has none, or one whose shape is not the photo's (a crop that kept the old preview).

    A placeholder while the real thumbnail is made: it decodes in about 1 ms, against
    ~40 ms of CPU for a 12 MP photo even at 1/8 scale.
    """
    _check_positive(size)
    try:
        with _opened(path) as (source, _modified), Image.open(source, formats=("JPEG",)) as photo:
            exif = photo.getexif()
            preview = _preview_bytes(photo.info.get("exif", b""), exif.get_ifd(ExifTags.IFD.IFD1))
            if preview is None:
                return None
            with Image.open(io.BytesIO(preview), formats=("JPEG",)) as opened:
                if abs(opened.width * photo.height - opened.height * photo.width) > (
                        0.02 * photo.width * opened.height):
                    return None
                opened.draft("RGB", (size, size))
                image = opened.convert("RGB")
    except (ImageError, UnidentifiedImageError, *_DECODE_ERRORS):
        return None
    orientation = exif.get(ExifTags.Base.Orientation)
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    return image.resize(_fit(image.size, size), Image.Resampling.BICUBIC)


def read_camera_and_location(path: str | Path) -> tuple[str, tuple[float, float] | None]:
    """A photo's camera and GPS position (``exif_details``) from its EXIF alone, no pixels
    decoded: for photos indexed before they were read. ("", None) if the file cannot say."""
    try:
        with _opened(path) as (source, _modified):
            if is_raw_name(str(path)):  # as indexed: the EXIF of the embedded preview
                import rawpy

                with rawpy.imread(str(path)) as raw:  # by name: a file object is read whole
                    source = io.BytesIO(raw.extract_thumb().data)
            with Image.open(source, formats=_FORMATS) as opened:
                if opened.format == "PNG" and "exif" not in opened.info:
                    return "", None  # a PNG's getexif() would decode the pixels to look further
                exif = opened.getexif()
    except Exception as exc:  # noqa: BLE001 - rawpy's and every plugin's errors: nothing to say
        log.debug("no EXIF read from %s: %s", path, exc)
        return "", None
    return camera_of(exif), location_of(exif)


def _preview_bytes(app1: bytes, ifd1: dict) -> bytes | None:
    """The JPEG that IFD1 points at; its offset counts from the TIFF header, after "Exif\\0\\0"."""
    offset, length = ifd1.get(0x0201), ifd1.get(0x0202)  # JPEGInterchangeFormat(Length)
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        return None
    preview = app1[6 + offset:6 + offset + length]
    return preview if preview.startswith(b"\xff\xd8") and len(preview) == length else None


def _check_positive(size: int) -> None:
    if size < 1:
        raise ValueError(f"size must be at least 1 pixel, not {size}")


@contextmanager
def _opened(path: str | Path) -> Iterator[tuple[BinaryIO, datetime]]:
    """The open file and its modification time, or ImageError when it cannot be read."""
    try:
        source = open(path, "rb")
    except OSError as error:
        raise ImageError(os_error_reason(error)) from error
    with source:
        status = os.fstat(source.fileno())
        if status.st_size == 0:
            raise ImageError("empty file")
        yield source, datetime.fromtimestamp(status.st_mtime)


def _decode_file(path: str | Path, source: BinaryIO, draft_box: DraftBox) -> _Decoded:
    return _decode_raw(path, draft_box) if is_raw_name(str(path)) else _decode(source, draft_box)


def _decode_raw(path: str | Path, draft_box: DraftBox) -> _Decoded:
    """A RAW file through the JPEG preview its camera embedded (rawpy, no demosaicing):
    full-size or near it on most cameras, and a JPEG decode instead of seconds of raw
    processing. The size recorded is the sensor image's. Opened by name: LibRaw then
    reads the parts it needs, where an open file would be read whole (25 MB and more)."""
    import rawpy

    try:
        with rawpy.imread(str(path)) as raw:
            thumb = raw.extract_thumb()
            sizes = raw.sizes
    except (rawpy.LibRawError, *_DECODE_ERRORS) as error:
        detail = " ".join(str(error).split())[:80] or type(error).__name__
        raise ImageError(f"unreadable RAW file, or one without a preview: {detail}") from error
    if thumb.format != rawpy.ThumbFormat.JPEG:
        raise ImageError("the RAW file's preview is not a JPEG (not decoded: no demosaicing)")
    decoded = _decode(io.BytesIO(thumb.data), draft_box)
    image, width, height = decoded.image, sizes.width, sizes.height
    turns = {3: Image.Transpose.ROTATE_180, 5: Image.Transpose.ROTATE_90,
             6: Image.Transpose.ROTATE_270}
    if sizes.flip in (5, 6):
        width, height = height, width
    if ExifTags.Base.Orientation not in decoded.exif and sizes.flip in turns:
        image = image.transpose(turns[sizes.flip])  # the preview is stored as the sensor sees
    # A preview without EXIF of its own gets one LibRaw makes ("dcraw") with the raw file's
    # date, or 1970-01-01 when it has none: the file's time is the better guess then.
    # (rawpy's ``other.timestamp`` says the same but costs 30-40 ms of CPU a file.)
    taken_at = decoded.taken_at
    made_up = str(decoded.exif.get(ExifTags.Base.Software, "")).startswith("dcraw")
    if made_up and taken_at is not None and taken_at.date() == date(1970, 1, 1):
        taken_at = None
    return _Decoded(image, width, height, decoded.exif, taken_at)


def _decode(source: BinaryIO, draft_box: DraftBox, max_pixels: int = MAX_PIXELS) -> _Decoded:
    """Decode the first frame at the smallest JPEG scale that still covers ``draft_box(size)``."""
    try:
        with Image.open(source, formats=_FORMATS) as opened:
            return _decode_opened(opened, draft_box, max_pixels)
    except UnidentifiedImageError as error:
        kind = _sniff_format(source)
        if kind:
            raise ImageError(f"corrupt {kind} header") from error
        raise NotAnImage("not an image") from error
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageTooLarge(f"image too large ({_TOO_LARGE})") from error
    except _DECODE_ERRORS as error:
        raise ImageError(_failure_reason(source, error)) from error


def _decode_opened(opened: Image.Image, draft_box: DraftBox, max_pixels: int) -> _Decoded:
    width, height = opened.size
    if width * height > max_pixels:
        raise ImageTooLarge(f"image too large: {width}x{height} pixels "
                            f"(limit {max_pixels // 1_000_000} MP)")
    needed = draft_box(opened.size)
    # An MPO's own EXIF, read before seeking to its preview; other formats' after loading
    # (a PNG's getexif loads the pixels, and a failure there must not be swallowed).
    exif = _read_exif(opened) if opened.format == "MPO" else None
    _seek_embedded_preview(opened, needed)
    opened.draft("RGB", needed)
    opened.load()
    exif = exif if exif is not None else _read_exif(opened)
    image = _to_rgb(opened)
    orientation = exif.get(ExifTags.Base.Orientation)
    if orientation in _UPRIGHT:
        image = image.transpose(_UPRIGHT[orientation])
    if orientation in (5, 6, 7, 8):  # a quarter turn: the sides swap
        width, height = height, width
    return _Decoded(image, width, height, exif, _taken_at(exif))


def _seek_embedded_preview(opened: Image.Image, needed: tuple[int, int]) -> None:
    """Camera JPEGs often carry a second, smaller JPEG of the same picture (MPF, in
    APP2; Pillow reads them as MPO frames). When one covers ``needed`` and has the
    photo's shape, decode that instead: a 1920x1440 preview costs a fraction of a
    12 MP decode, even at 1/8 scale."""
    if opened.format != "MPO" or getattr(opened, "n_frames", 1) < 2:
        return
    width, height = opened.size
    best = None
    for frame in range(1, opened.n_frames):
        opened.seek(frame)
        w, h = opened.size
        same_shape = abs(w * height - h * width) <= 0.02 * width * h
        if same_shape and min(w, h) >= MIN_PREVIEW_SIDE and w >= needed[0] and h >= needed[1] \
                and (best is None or w * h < best[1]):
            best = (frame, w * h)
    opened.seek(best[0] if best else 0)


def _read_exif(opened: Image.Image) -> Image.Exif:
    """The EXIF tags, or none: a broken EXIF block does not spoil the pixels."""
    try:
        return opened.getexif()
    except _DECODE_ERRORS as error:
        log.debug("unreadable EXIF: %s", error)
        return Image.Exif()


def _to_rgb(image: Image.Image) -> Image.Image:
    """A new RGB image: 16-bit scaled down, transparency over white, CMYK and palettes converted."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image.convert("RGB")


def _loaded(decoded: _Decoded, min_side: int, fallback_time: datetime,
            thumbnail_px: int = 0) -> LoadedImage:
    image = decoded.image
    thumbnail = _shrunk(image, thumbnail_px) if thumbnail_px else None
    factor = min(image.size) // min_side
    if factor >= 2:
        image = image.reduce(factor)
    taken_at = decoded.taken_at or fallback_time
    return LoadedImage(image, decoded.width, decoded.height, taken_at, thumbnail,
                       has_exif=len(decoded.exif) > 0, camera=camera_of(decoded.exif),
                       location=location_of(decoded.exif))


def _shrunk(image: Image.Image, longest: int) -> Image.Image:
    """``image`` fitted into ``longest`` pixels along its longer side; never enlarged."""
    if max(image.size) <= longest:
        return image
    return image.resize(_fit(image.size, longest), Image.Resampling.BICUBIC, reducing_gap=2.0)


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The size that fits ``longest`` along the longer side, keeping the aspect ratio."""
    scale = longest / max(size)
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _taken_at(exif: Image.Exif) -> datetime | None:
    """When the photo was taken, by the camera's clock: DateTimeOriginal, Digitized, DateTime."""
    try:
        details = exif.get_ifd(ExifTags.IFD.Exif)
    except _DECODE_ERRORS:
        details = {}
    for value in (
        details.get(ExifTags.Base.DateTimeOriginal),
        details.get(ExifTags.Base.DateTimeDigitized),
        exif.get(ExifTags.Base.DateTime),
    ):
        parsed = _parse_exif_date(value)
        if parsed:
            return parsed
    return None


def _parse_exif_date(value: object) -> datetime | None:
    match = _EXIF_DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()))
    except ValueError:  # 0000:00:00 00:00:00 and other blanks
        return None


def _sniff_format(source: BinaryIO) -> str | None:
    """The format a file's first bytes claim, to say "corrupt PNG" rather than "not an image"."""
    try:
        source.seek(0)
        head = source.read(8)
    except (OSError, ValueError):
        return None
    return next((kind for magic, kind in _SIGNATURES.items() if head.startswith(magic)), None)


def _failure_reason(source: BinaryIO, error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno:
        return os_error_reason(error)  # the disk or the network share, not the data
    if isinstance(error, MemoryError):
        return "not enough memory to decode"
    detail = " ".join(str(error).split())[:80] or type(error).__name__
    return f"truncated or corrupt {_sniff_format(source) or 'image'}: {detail}"

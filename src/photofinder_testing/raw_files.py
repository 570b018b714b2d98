"""DNG files as cameras write them, for the RAW tests and benchmarks: a Bayer mosaic
(16-bit, RGGB) in a SubIFD and a large JPEG preview in IFD0, which LibRaw (rawpy)
reads with ``extract_thumb``. No RAW samples can be shipped, and Pillow writes no DNG."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from photofinder_testing.camera_exif import _ifd

# sRGB to XYZ (D65), inverted: the ColorMatrix1 a demosaicing needs (XYZ to camera).
_XYZ_TO_CAMERA = ((32404, 10000), (-15371, 10000), (-4985, 10000),
                  (-9693, 10000), (18760, 10000), (416, 10000),
                  (557, 10000), (-2040, 10000), (10572, 10000))


def write_dng(path: Path, picture: Image.Image, preview_size: tuple[int, int] | None = None,
              model: str = "Test Camera", exif: bytes = b"", orientation: int = 1,
              preview: Image.Image | None = None, taken: str | None = None) -> None:
    """A DNG of ``picture``: its RGGB mosaic as the raw image, and the picture (or
    ``preview``, to tell which one a reader used) resized to ``preview_size`` (by default
    the full size) as the JPEG preview, carrying ``exif``; ``taken`` ("YYYY:MM:DD
    HH:MM:SS") is the DNG's own DateTime."""
    rgb = np.asarray(picture.convert("RGB"), dtype=np.uint16)
    height, width = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
    mosaic = np.empty((height, width), np.uint16)
    mosaic[0::2, 0::2] = rgb[0:height:2, 0:width:2, 0]  # R
    mosaic[0::2, 1::2] = rgb[0:height:2, 1:width:2, 1]  # G
    mosaic[1::2, 0::2] = rgb[1:height:2, 0:width:2, 1]  # G
    mosaic[1::2, 1::2] = rgb[1:height:2, 1:width:2, 2]  # B
    mosaic <<= 4  # 12-bit sensor values
    shown = (preview or picture).convert("RGB")
    if preview_size:
        shown = shown.resize(preview_size, Image.Resampling.BILINEAR)
    encoded = io.BytesIO()
    shown.save(encoded, "JPEG", quality=90, exif=exif)
    jpeg, raw = encoded.getvalue(), mosaic.astype("<u2").tobytes()

    def layout(sub_at: int, jpeg_at: int, raw_at: int) -> list[bytes]:
        first = _ifd([
            (254, "long", 1), (256, "long", shown.width), (257, "long", shown.height),
            (258, "short", (8, 8, 8)), (259, "short", 7), (262, "short", 6),
            (271, "ascii", "Photofinder"), (272, "ascii", model), (273, "long", jpeg_at),
            (274, "short", orientation), (277, "short", 3), (278, "long", shown.height),
            (279, "long", len(jpeg)), (284, "short", 1), (330, "long", sub_at),
            (50706, "byte", (1, 4, 0, 0)), (50708, "ascii", model),
            (50721, "srational", _XYZ_TO_CAMERA), (50778, "short", 21),
            *([(306, "ascii", taken)] if taken else []),
        ], 8)
        sub = _ifd([
            (254, "long", 0), (256, "long", width), (257, "long", height),
            (258, "short", 16), (259, "short", 1), (262, "short", 32803),
            (273, "long", raw_at), (277, "short", 1), (278, "long", height),
            (279, "long", len(raw)), (284, "short", 1),
            (33421, "short", (2, 2)), (33422, "byte", (0, 1, 1, 2)),
            (50717, "long", 4095 << 4),
        ], sub_at)
        return [first, sub]

    first_size, sub_size = (len(part) for part in layout(0, 0, 0))
    sub_at = 8 + first_size
    jpeg_at = sub_at + sub_size
    raw_at = jpeg_at + len(jpeg) + len(jpeg) % 2
    parts = layout(sub_at, jpeg_at, raw_at)
    with open(path, "wb") as out:
        out.write(b"II*\0" + struct.pack("<I", 8) + b"".join(parts) + jpeg
                  + b"\0" * (len(jpeg) % 2) + raw)

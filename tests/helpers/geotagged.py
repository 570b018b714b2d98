"""Shapes photos with the EXIF of phones and cameras: camera names, GPS positions in Paris
and New York, none, or a broken one. For the camera:, has:location and near: tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from photofinder_testing.camera_exif import camera_gps_exif, gps_tags
from photofinder_testing.tinymodel.shapes import write_photos

PARIS = (48.8566, 2.3522)
NEW_YORK = (40.7128, -74.0060)
STEP = 0.002  # degrees of latitude between the photos of one city: ~222 m
BROKEN_GPS = {1: "N", 2: (IFDRational(48, 0), IFDRational(51), IFDRational(2)),
              3: "E", 4: (IFDRational(2), IFDRational(21), IFDRational(0))}


@dataclass
class Geotagged:
    """Which photo got which camera and place (paths as strings)."""

    paris: list[str]  # Google Pixel 7, PARIS + i * STEP north
    new_york: list[str]  # NIKON D750, NEW_YORK + i * STEP north
    plain: list[str]  # no EXIF
    broken: list[str]  # Google Pixel 6a, GPS with a zero denominator

    @property
    def pixels(self) -> set[str]:
        return set(self.paris) | set(self.broken)


def write_geotagged(folder: Path, per_kind: int = 8, seed: int = 31) -> Geotagged:
    """4 * per_kind JPEG shapes in ``folder``, a quarter of each kind."""
    kinds = Geotagged([], [], [], [])
    for i, (path, _) in enumerate(write_photos(folder, 4 * per_kind, seed=seed)):
        kind, n = i % 4, i // 4
        exif = {0: lambda: camera_gps_exif("Google", "Pixel 7", gps_tags(PARIS[0] + n * STEP, PARIS[1])),
                1: lambda: camera_gps_exif("NIKON CORPORATION", "NIKON D750",
                                           gps_tags(NEW_YORK[0] + n * STEP, NEW_YORK[1])),
                2: lambda: b"",
                3: lambda: camera_gps_exif("Google", "Pixel 6a", BROKEN_GPS)}[kind]()
        with Image.open(path) as opened:
            picture = opened.copy()
        picture.save(path, quality=92, exif=exif)
        (kinds.paris, kinds.new_york, kinds.plain, kinds.broken)[kind].append(str(path))
    return kinds

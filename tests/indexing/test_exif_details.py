"""Camera and GPS position read at indexing from real JPEGs' EXIF, broken tags included."""

from __future__ import annotations

import struct

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational as R

from photofinder.indexing.images import load_image
from photofinder_testing.camera_exif import _ifd, camera_gps_exif, gps_tags


def jpeg_with(folder, name: str, exif: bytes):
    path = folder / f"{name}.jpg"
    Image.new("RGB", (64, 48), "red").save(path, exif=exif)
    return path


@pytest.mark.parametrize(("make", "model", "camera"), [
    ("Google", "Pixel 7", "Google Pixel 7"),
    ("NIKON CORPORATION", "NIKON D750", "Nikon D750"),
    ("Canon", "Canon EOS R5", "Canon EOS R5"),
    ("OLYMPUS IMAGING CORP.  ", "E-M10\0\0", "Olympus E-M10"),
    ("Apple", "iPhone 13", "Apple iPhone 13"),
    (None, "X100V", "X100V"),
    (None, None, ""),
])
def test_camera_is_make_and_model_normalised(tmp_path, make, model, camera):
    assert load_image(jpeg_with(tmp_path, "c", camera_gps_exif(make, model)), 32).camera == camera


def test_gps_degrees_minutes_seconds_and_hemispheres(tmp_path):
    eiffel = load_image(jpeg_with(tmp_path, "paris", camera_gps_exif(gps=gps_tags(48.8584, 2.2945))), 32)
    assert eiffel.location == pytest.approx((48.8584, 2.2945), abs=1e-6)
    sydney = load_image(jpeg_with(tmp_path, "sydney", camera_gps_exif(gps=gps_tags(-33.8568, 151.2153))), 32)
    assert sydney.location == pytest.approx((-33.8568, 151.2153), abs=1e-6)
    lima = load_image(jpeg_with(tmp_path, "lima", camera_gps_exif(gps=gps_tags(-12.0464, -77.0428))), 32)
    assert lima.location == pytest.approx((-12.0464, -77.0428), abs=1e-6)
    assert load_image(jpeg_with(tmp_path, "none", camera_gps_exif("Google", "Pixel 7")), 32).location is None


BROKEN_GPS = {
    "zero denominator": {1: "N", 2: (R(48, 0), R(1), R(2)), 3: "E", 4: (R(2), R(1), R(2))},
    "latitude past 90": {1: "N", 2: (R(95), R(0), R(0)), 3: "E", 4: (R(2), R(0), R(0))},
    "longitude past 180": {1: "N", 2: (R(45), R(0), R(0)), 3: "W", 4: (R(181), R(0), R(0))},
    "75 minutes": {1: "N", 2: (R(45), R(75), R(0)), 3: "E", 4: (R(2), R(0), R(0))},
    "60 seconds": {1: "N", 2: (R(45), R(1), R(60)), 3: "E", 4: (R(2), R(0), R(0))},
    "reference Q": {1: "Q", 2: (R(45), R(0), R(0)), 3: "E", 4: (R(2), R(0), R(0))},
    "no fix (0, 0)": gps_tags(0, 0),
    "status void": {**gps_tags(48.85, 2.35), 9: "V"},
    "four numbers": {1: "N", 2: (R(1), R(2), R(3), R(4)), 3: "E", 4: (R(2), R(0), R(0))},
}


@pytest.mark.parametrize("broken", BROKEN_GPS, ids=list(BROKEN_GPS))
def test_a_broken_gps_tag_is_no_position_and_the_photo_still_loads(tmp_path, broken):
    exif = camera_gps_exif("Google", "Pixel 7", BROKEN_GPS[broken])
    loaded = load_image(jpeg_with(tmp_path, "b", exif), 32)
    assert loaded.location is None and loaded.camera == "Google Pixel 7"
    assert loaded.image.size == (64, 48)


def test_gps_ifd_pointing_nowhere_or_holding_text_is_no_position(tmp_path):
    header = b"Exif\0\0II*\0" + struct.pack("<I", 8)
    nowhere = header + _ifd([(0x010F, "ascii", "Google"), (0x8825, "long", 999_999)], 8)
    text = header + _ifd([(0x8825, "long", 26)], 8) + _ifd(
        [(1, "ascii", "N"), (2, "ascii", "48 51 29"), (3, "ascii", "E"), (4, "ascii", "x")], 26)
    with pytest.warns(UserWarning, match="Corrupt EXIF"):  # Pillow's own word on it
        pointing_nowhere = load_image(jpeg_with(tmp_path, "nowhere", nowhere), 32)
    assert pointing_nowhere.location is None and pointing_nowhere.camera == "Google"
    assert load_image(jpeg_with(tmp_path, "text", text), 32).location is None


def test_a_raw_file_names_its_camera_at_indexing_and_when_read_later(tmp_path):
    pytest.importorskip("rawpy")
    from photofinder.indexing.images import read_camera_and_location
    from photofinder_testing.raw_files import write_dng

    path = tmp_path / "raw.dng"
    write_dng(path, Image.new("RGB", (640, 480), "red"), model="NIKON D750")
    camera = load_image(path, 64).camera
    assert camera.endswith("NIKON D750")  # LibRaw's EXIF of the preview: the raw's Make, Model
    assert read_camera_and_location(path) == (camera, None)

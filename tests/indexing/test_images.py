"""Decoding: every good photo comes out small, upright and RGB; every bad one as one ImageError."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers.hostile_corpus import (
    ROTATED_TAKEN_AT,
    claimed_size_png,
    encoded,
    make_hostile_corpus,
    photo,
    rotated_jpeg,
)
from photofinder_testing.camera_exif import exif_block, preview_jpeg
from PIL import Image

from photofinder.errors import ImageError
from photofinder.indexing.images import (
    MAX_PIXELS,
    load_image,
    load_image_bytes,
    load_preview,
    load_thumbnail,
)
from photofinder.indexing.scanner import scan

# Pillow's own warnings about the files we hand it are not failures here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    made = make_hostile_corpus(tmp_path_factory.mktemp("hostile"))
    yield made
    made.unlock()


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory) -> Path:
    """A 12 MP camera-sized JPEG: 4000x3000."""
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    photo((4000, 3000)).save(path, quality=85)
    return path


def test_every_good_photo_loads_upright_rgb_and_small(corpus):
    for path, (width, height) in corpus.good.items():
        loaded = load_image(path, min_side=16)
        assert (loaded.width, loaded.height) == (width, height), path
        assert loaded.image.mode == "RGB", path
        assert 16 <= min(loaded.image.size) < 32, path
        assert (loaded.image.width > loaded.image.height) == (width > height), path


def test_every_bad_file_raises_one_line_image_error(corpus):
    for path, word in corpus.bad.items():
        with pytest.raises(ImageError) as raised:
            load_image(path, min_side=16)
        reason = str(raised.value)
        assert word in reason, (path, reason)
        assert "\n" not in reason and len(reason) < 120, reason


def test_every_bad_file_also_fails_cleanly_as_thumbnail_and_bytes(corpus):
    for path, word in corpus.bad.items():
        with pytest.raises(ImageError, match=word):
            load_thumbnail(path, 64)
        if os.access(path, os.R_OK):
            with pytest.raises(ImageError):
                load_image_bytes(path.read_bytes(), 16)


def test_the_corpus_as_scanned_loads_without_stray_exceptions(corpus):
    loaded, failed = 0, 0
    for found in scan([corpus.root], on_problem=lambda problem: None):
        try:
            load_image(found.path, 16)
            loaded += 1
        except ImageError:
            failed += 1
    assert loaded == len(corpus.good)
    assert failed == len(corpus.scanned) - len(corpus.good)


def test_exif_orientation_turns_the_photo_and_swaps_its_sides(corpus):
    loaded = load_image(corpus.rotated, min_side=16)
    assert (loaded.width, loaded.height) == (48, 64)
    assert loaded.image.width < loaded.image.height
    # turned a quarter clockwise: the stored top-right (red) corner comes out bottom right
    red, green, _ = loaded.image.getpixel((loaded.image.width - 1, loaded.image.height - 1))
    assert red > 200 and green < 50


def test_taken_at_comes_from_exif_date_time_original(corpus):
    assert load_image(corpus.rotated, 16).taken_at == ROTATED_TAKEN_AT


def camera_jpeg(path, orientation=1, preview_size=(160, 120), exif=None):
    """A 4:3 red photo whose EXIF preview is blue: which of the two was read shows."""
    preview = preview_jpeg(Image.new("RGB", (8, 8), "blue"), preview_size)
    Image.new("RGB", (800, 600), "red").save(
        path, quality=90, exif=exif or exif_block(orientation=orientation, preview=preview))
    return path


def test_camera_preview_is_read_upright_and_fitted(tmp_path):
    preview = load_preview(camera_jpeg(tmp_path / "a.jpg"), 200)
    assert preview.mode == "RGB" and preview.size == (200, 150)  # enlarged to fill a tile
    assert preview.getpixel((100, 75))[2] > 200
    assert load_preview(camera_jpeg(tmp_path / "b.jpg", orientation=6), 80).size == (60, 80)


def test_no_preview_without_one_of_the_photos_shape(tmp_path, corpus):
    plain = tmp_path / "plain.jpg"
    Image.new("RGB", (800, 600), "red").save(plain)
    assert load_preview(plain, 100) is None
    assert load_preview(camera_jpeg(tmp_path / "square.jpg", preview_size=(120, 120)), 100) is None
    broken = exif_block(preview=b"\xff\xd8" + bytes(300))[:-200]  # cut off inside the preview
    assert load_preview(camera_jpeg(tmp_path / "cut.jpg", exif=broken), 100) is None
    for path in [*corpus.good, *corpus.bad]:  # PNGs, corrupt files, folders: None, no error
        preview = load_preview(path, 64)
        assert preview is None or max(preview.size) == 64, path


def test_taken_at_falls_back_to_exif_date_time(tmp_path):
    exif = Image.Exif()
    exif[0x0132] = "2010:02:03 04:05:06"
    path = tmp_path / "dated.jpg"
    photo().save(path, exif=exif)
    assert load_image(path, 16).taken_at == datetime(2010, 2, 3, 4, 5, 6)


@pytest.mark.parametrize("date", [None, "0000:00:00 00:00:00", "    :  :     :  :  ", "garbage"])
def test_taken_at_falls_back_to_the_file_time(tmp_path, date):
    path = tmp_path / "undated.jpg"
    exif = Image.Exif()
    if date:
        exif.get_ifd(0x8769)[0x9003] = date
    photo().save(path, exif=exif)
    when = datetime(2015, 6, 7, 8, 9, 10)
    os.utime(path, (when.timestamp(), when.timestamp()))
    assert load_image(path, 16).taken_at == when


def test_jpeg_is_decoded_at_reduced_scale(big_jpeg):
    loaded = load_image(big_jpeg, min_side=224)
    assert (loaded.width, loaded.height) == (4000, 3000)
    # 1/8 scale by libjpeg: 500x375. Decoding in full and then reducing would give 307x230
    assert loaded.image.size == (500, 375)


@pytest.mark.parametrize("min_side", [1, 100, 224, 375, 376, 1500, 3000, 5000])
def test_shorter_side_stays_at_least_min_side(big_jpeg, min_side):
    image = load_image(big_jpeg, min_side).image
    assert min(image.size) >= min(min_side, 3000)
    assert min(image.size) < 2 * min_side or min(image.size) == 3000


def test_other_formats_are_reduced_after_decoding(tmp_path):
    path = tmp_path / "big.png"
    photo((1200, 900)).save(path)
    loaded = load_image(path, min_side=224)
    assert (loaded.width, loaded.height) == (1200, 900)
    assert loaded.image.size == (300, 225)


def test_thumbnail_fits_size_upright(big_jpeg, corpus):
    assert load_thumbnail(big_jpeg, 256).size == (256, 192)
    turned = load_thumbnail(corpus.rotated, 32)
    assert turned.size == (24, 32) and turned.mode == "RGB"


def test_small_photos_are_not_enlarged(corpus):
    assert load_thumbnail(corpus.root / "plain.png", 1000).size == (64, 48)
    assert load_image(corpus.root / "plain.png", 1000).image.size == (64, 48)


def test_transparency_is_composited_over_white(tmp_path):
    path = tmp_path / "clear.png"
    Image.new("RGBA", (40, 30), (255, 0, 0, 0)).save(path)
    assert load_image(path, 8).image.getpixel((0, 0)) == (255, 255, 255)


def test_sixteen_bit_grey_keeps_its_brightness(corpus):
    image = load_image(corpus.root / "gray16.png", 16).image
    assert image.getpixel((0, 0)) == (195, 195, 195)  # 50000 / 65535 of white


def test_cmyk_keeps_its_colours(tmp_path):
    path = tmp_path / "red.jpg"
    Image.new("RGB", (32, 32), (200, 30, 30)).convert("CMYK").save(path)
    red, green, blue = load_image(path, 8).image.getpixel((4, 4))
    assert red > 150 and green < 80 and blue < 80


def test_first_frame_of_animations_and_multipage_tiff(corpus):
    for name in ("animated.gif", "animated.webp", "multipage.tiff"):
        loaded = load_image(corpus.root / name, 16)
        assert (loaded.width, loaded.height) == (64, 48), name
        assert max(loaded.image.getpixel((0, 0))) < 80, f"{name}: a later frame came out"


def test_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(claimed_size_png(30_000, 30_000))
    with pytest.raises(ImageError, match="image too large"):
        load_image(path, 224)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_image_over_the_limit_is_refused_with_its_size(tmp_path):
    side = int(MAX_PIXELS**0.5) + 100
    path = tmp_path / "huge.png"
    path.write_bytes(claimed_size_png(side, side))
    with pytest.raises(ImageError, match=rf"image too large: {side}x{side} pixels \(limit 200 MP\)"):
        load_image(path, 224)


def test_file_that_vanishes_between_scan_and_load(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(encoded(photo(), "JPEG"))
    [found] = scan([tmp_path])
    path.unlink()
    with pytest.raises(ImageError, match="^file vanished$"):
        load_image(found.path, 16)
    with pytest.raises(ImageError, match="^file vanished$"):
        load_thumbnail(found.path, 64)


def test_unreadable_file_says_permission_denied(tmp_path):
    path = tmp_path / "secret.jpg"
    path.write_bytes(encoded(photo(), "JPEG"))
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("permissions do not stop this user (root)")
    with pytest.raises(ImageError, match="^permission denied$"):
        load_image(path, 16)


def test_a_folder_is_not_an_image(tmp_path):
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path, 16)


def test_bytes_load_like_files_and_default_to_now():
    before = datetime.now()
    loaded = load_image_bytes(encoded(photo((640, 480)), "PNG"), 100)
    assert (loaded.width, loaded.height) == (640, 480)
    assert loaded.image.size == (160, 120)
    assert before <= loaded.taken_at <= datetime.now() + timedelta(seconds=1)


def test_bytes_keep_exif_orientation_and_date():
    loaded = load_image_bytes(rotated_jpeg(), 16)
    assert (loaded.width, loaded.height) == (48, 64)
    assert loaded.taken_at == ROTATED_TAKEN_AT


@pytest.mark.parametrize("data, word", [(b"", "empty"), (b"\x00" * 100, "not an image")])
def test_bad_bytes(data, word):
    with pytest.raises(ImageError, match=word):
        load_image_bytes(data, 16)


def test_sizes_below_one_pixel_are_a_bug(corpus):
    with pytest.raises(ValueError):
        load_image(corpus.root / "plain.jpg", 0)
    with pytest.raises(ValueError):
        load_thumbnail(corpus.root / "plain.jpg", 0)


def test_all_shared_photos_load(shared_photos):
    paths = sorted(shared_photos.glob("*.jpg"))
    assert len(paths) == 80
    for path in paths:
        loaded = load_image(path, 224)
        assert loaded.image.mode == "RGB"
        assert 224 <= min(loaded.image.size) < 448 or min(loaded.width, loaded.height) < 448, path
        assert loaded.width >= loaded.image.width and loaded.height >= loaded.image.height


def camera_jpeg_with_mpf_preview(path: Path, preview_size: tuple[int, int]) -> None:
    """A 2400x1800 grey photo carrying a red MPF preview: which one decoded shows in the colour."""
    main = Image.new("RGB", (2400, 1800), (128, 128, 128))
    main.save(path, "MPO", save_all=True, append_images=[Image.new("RGB", preview_size, (200, 0, 0))],
              exif=exif_block("MPF Camera", 6, "2024:01:02 03:04:05", None))


def test_a_large_mpf_preview_is_decoded_instead_of_the_photo(tmp_path):
    path = tmp_path / "camera.jpg"
    camera_jpeg_with_mpf_preview(path, (1600, 1200))
    loaded = load_image(path, 224, 320)
    assert loaded.image.getpixel((5, 5))[0] > 150  # the preview's red
    assert (loaded.width, loaded.height) == (1800, 2400)  # the photo's size, turned by its EXIF
    assert loaded.image.height > loaded.image.width and loaded.thumbnail.size == (240, 320)
    assert loaded.taken_at == datetime(2024, 1, 2, 3, 4, 5)
    assert load_thumbnail(path, 320).getpixel((5, 5))[0] > 150


@pytest.mark.parametrize("preview_size", [(320, 240), (1600, 900)], ids=["small", "other-shape"])
def test_an_mpf_preview_too_small_or_of_another_shape_is_left_alone(tmp_path, preview_size):
    path = tmp_path / "camera.jpg"
    camera_jpeg_with_mpf_preview(path, preview_size)
    assert load_image(path, 224).image.getpixel((5, 5)) == (128, 128, 128)


def test_raw_files_are_photos_and_a_broken_one_is_one_line(tmp_path):
    pytest.importorskip("rawpy")
    from photofinder.indexing.scanner import is_photo_name

    assert all(is_photo_name(f"IMG.{ext}") for ext in ("CR2", "cr3", "NEF", "arw", "dng", "RAF", "orf"))
    fake = tmp_path / "broken.nef"
    fake.write_bytes(b"II*\x00" + os.urandom(4000))
    with pytest.raises(ImageError, match="unreadable RAW file") as error:
        load_image(fake, 224)
    assert "\n" not in str(error.value)
    with pytest.raises(ImageError, match="unreadable RAW file"):
        load_thumbnail(fake, 128)

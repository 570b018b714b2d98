"""Sizes read as a person reads them."""

from photofinder.units import human_size, photo_count


def test_sizes_use_the_unit_that_fits():
    assert human_size(812) == "812 bytes"
    assert human_size(39_000) == "39.0 KB"  # `status` once said "0.0 MB"
    assert human_size(1_234_567) == "1.2 MB"
    assert human_size(3_400_000_000) == "3.4 GB"
    assert human_size(5_000_000_000_000) == "5000.0 GB"


def test_one_photo_is_never_called_photos():
    assert [photo_count(n) for n in (0, 1, 2, 12345)] == ["0 photos", "1 photo", "2 photos", "12,345 photos"]

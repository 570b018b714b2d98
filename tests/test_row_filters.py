"""Camera and place masks of the search indexes against a plain per-row reading."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from photofinder.geo import distance_km
from photofinder.records import GeoCircle, SearchFilter
from photofinder.row_filters import dates, filter_mask

CAMERAS = ["Google Pixel 7", "Apple iPhone 13", "Nikon D750", "", None, "Google Pixel 6a", "Canon EOS R5"]


@pytest.fixture(scope="module")
def rows() -> pa.Table:
    rng = np.random.default_rng(5)
    count = 5_000
    located = rng.random(count) < 0.6
    latitudes = np.where(located, rng.uniform(-89, 89, count), np.nan)
    latitudes[:500] = 48.8566 + rng.normal(scale=0.3, size=500)  # many around Paris
    longitudes = np.where(np.isnan(latitudes), np.nan, rng.uniform(-180, 180, count))
    longitudes[:500] = 2.3522 + rng.normal(scale=0.3, size=500)
    return pa.table({
        "path": [f"/p/{i}.jpg" for i in range(count)], "width": [1] * count, "height": [1] * count,
        "taken_at": pa.array([None] * count, pa.timestamp("us")),
        "camera": pa.array([CAMERAS[i] for i in rng.integers(0, len(CAMERAS), count)], pa.string()),
        "latitude": pa.array(latitudes, pa.float64(), from_pandas=True),
        "longitude": pa.array(longitudes, pa.float64(), from_pandas=True),
    })


def mask(rows, **asked) -> np.ndarray:
    return filter_mask(rows, *dates(rows.column("taken_at")), SearchFilter(**asked))


@pytest.mark.parametrize("words", [("pixel",), ("PIXEL", "d750"), ("eos r",), ("leica",)])
def test_camera_words_match_make_and_model_in_any_case(rows, words):
    cameras = rows.column("camera").to_pylist()
    expected = [c is not None and any(w.lower() in c.lower() for w in words) for c in cameras]
    assert mask(rows, cameras=words).tolist() == expected


@pytest.mark.parametrize("circle", [GeoCircle(48.8566, 2.3522, 25.0), GeoCircle(48.8566, 2.3522, 0.5),
                                    GeoCircle(-33.87, 151.21, 2_000.0), GeoCircle(89.0, 0.0, 500.0),
                                    GeoCircle(0.0, 179.9, 20_000.0)])
def test_near_keeps_exactly_the_rows_within_the_radius(rows, circle):
    latitudes = rows.column("latitude").to_numpy(zero_copy_only=False)
    longitudes = rows.column("longitude").to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        expected = distance_km(circle.latitude, circle.longitude, latitudes, longitudes) <= circle.radius_km
    assert mask(rows, near=circle).tolist() == expected.tolist()
    assert not (mask(rows, near=circle) & np.isnan(latitudes)).any()


def test_has_location_and_filters_together(rows):
    located = ~np.isnan(rows.column("latitude").to_numpy(zero_copy_only=False))
    assert mask(rows, has_location=True).tolist() == located.tolist()
    both = mask(rows, cameras=("pixel",), near=GeoCircle(48.8566, 2.3522, 25.0))
    assert both.any() and (both == mask(rows, cameras=("pixel",)) & mask(rows, near=GeoCircle(
        48.8566, 2.3522, 25.0))).all()

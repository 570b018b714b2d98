"""near: place names, resolved offline from GeoNames' cities."""

from __future__ import annotations

import numpy as np
import pytest

from photofinder.errors import QueryError
from photofinder.geo import distance_km
from photofinder.places import DEFAULT_RADIUS_KM, resolve_place


@pytest.mark.parametrize(("text", "label", "latitude", "longitude", "radius"), [
    ("paris", "Paris, FR", 48.853, 2.349, DEFAULT_RADIUS_KM),
    ("Paris, US", "Paris, US", 33.661, -95.556, DEFAULT_RADIUS_KM),
    ("paris, united states", "Paris, US", 33.661, -95.556, DEFAULT_RADIUS_KM),
    ("new york~10km", "New York City, US", 40.714, -74.006, 10.0),
    ("München", "Munich, DE", 48.137, 11.575, DEFAULT_RADIUS_KM),
    ("zurich ~ 5 km", "Zürich, CH", 47.367, 8.55, 5.0),
    ("48.85,2.35", "48.85,2.35", 48.85, 2.35, DEFAULT_RADIUS_KM),
    ("-33.86, 151.21~500m", "-33.86, 151.21", -33.86, 151.21, 0.5),
])
def test_places_resolve_to_a_circle(text, label, latitude, longitude, radius):
    circle = resolve_place(text)
    assert circle.label == label and circle.radius_km == radius
    assert (circle.latitude, circle.longitude) == pytest.approx((latitude, longitude), abs=1e-3)


@pytest.mark.parametrize(("text", "message"), [
    ("pariss", "did you mean Paris"),
    ("xqzvv", "no city called “xqzvv” is known offline"),
    ("paris, narnia", "no country “narnia”"),
    ("paris~0km", "a radius is above 0"),
    ("~5km", "say near what"),
    ("95,2", "latitude,longitude in degrees"),
])
def test_unknown_places_and_bad_radii_are_clear_errors(text, message):
    with pytest.raises(QueryError, match=message):
        resolve_place(text)


def test_haversine_distances():
    paris, london = (48.8566, 2.3522), (51.5074, -0.1278)
    far = distance_km(*paris, np.array([london[0], paris[0], np.nan]), np.array([london[1], paris[1], 0.0]))
    assert far[0] == pytest.approx(343.5, abs=1.0) and far[1] == 0.0 and np.isnan(far[2])

"""Distances on the Earth, for the ``near:`` filter: the same formula in numpy (the
in-memory index) and in SQL (``store.sql_within``, the table)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def distance_km(latitude: float, longitude: float, latitudes: np.ndarray,
                longitudes: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distances from one point to many, in km; NaN stays NaN."""
    lat0, lon0 = np.radians(latitude), np.radians(longitude)
    lats, lons = np.radians(latitudes), np.radians(longitudes)
    a = (np.sin((lats - lat0) / 2) ** 2
         + np.cos(lat0) * np.cos(lats) * np.sin((lons - lon0) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))

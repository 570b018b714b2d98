"""Search latency with filters and +/- parts against unfiltered search, same run.

The in-memory index (what every search runs on) holds N synthetic photos: clustered
unit vectors, 20 folders, JPEG/PNG/HEIC files, portrait and landscape, five years of
dates, 10 cameras (a tenth not read yet) and GPS positions on 60% of the photos,
scattered around 8 places (a third in and around Paris). Each filter is timed twice: a
new filter for every query (its row mask is computed, the worst case) and the same
filter again (the mask is reused, as while typing). Each query runs every variant in
turn, so a busy machine slows the baseline and the filters alike. Figures are medians,
reported as ratios to the unfiltered search.

    python benchmarks/bench_filters.py [--photos 100000] [--queries 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from photofinder.records import Gate, GeoCircle, SearchFilter
from photofinder.store import METADATA_FIELDS
from photofinder.vector_index import VectorIndex

DIM, K, ROOT = 512, 240, "/home/someone/Pictures"


def synthetic_rows(count: int, rng: np.random.Generator) -> pa.Table:
    centres = rng.normal(size=(500, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, 500, count)] + 0.6 * rng.normal(size=(count, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ext = np.array(["jpg", "png", "heic", "jpeg"])[rng.integers(0, 4, count)]
    folders = [f"{ROOT}/f{i % 20:02d}" for i in range(count)]
    portrait = rng.random(count) < 0.3
    base = datetime(2019, 1, 1)
    return pa.table({
        "path": [f"{folders[i]}/IMG_{i:07d}.{ext[i]}" for i in range(count)],
        "folder": folders, "size": pa.array(np.full(count, 3_000_000), pa.int64()),
        "mtime_ns": pa.array(np.arange(count), pa.int64()), "fingerprint": [""] * count,
        "width": pa.array(np.where(portrait, 3000, 4000), pa.int32()),
        "height": pa.array(np.where(portrait, 4000, 3000), pa.int32()),
        "taken_at": pa.array([base + timedelta(minutes=26 * i) for i in range(count)], pa.timestamp("us")),
        "model_id": ["bench"] * count,
        **gps_and_cameras(count, rng),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), DIM),
    })


CAMERAS = ["Google Pixel 7", "Google Pixel 8 Pro", "Apple iPhone 13", "Apple iPhone 15 Pro",
           "Samsung SM-S911B", "Nikon D750", "Canon EOS R5", "Sony ILCE-7M3", "Fujifilm X100V", ""]
CITIES = np.array([(48.8566, 2.3522)] * 3 + [(40.7128, -74.006), (35.6895, 139.6917),
                                             (51.5074, -0.1278), (41.9028, 12.4964), (-33.8688, 151.2093)])


def gps_and_cameras(count: int, rng: np.random.Generator) -> dict:
    located = rng.random(count) < 0.6
    spots = CITIES[rng.integers(0, len(CITIES), count)] + rng.normal(scale=0.4, size=(count, 2))
    camera = np.array(CAMERAS, dtype=object)[rng.integers(0, len(CAMERAS), count)]
    camera[rng.random(count) < 0.1] = None  # indexed before cameras were read
    return {"camera": pa.array(camera, pa.string()),
            "latitude": pa.array(np.where(located, spots[:, 0], np.nan), pa.float64(), from_pandas=True),
            "longitude": pa.array(np.where(located, spots[:, 1], np.nan), pa.float64(), from_pandas=True)}


def timed_ms(index: VectorIndex, query: np.ndarray, search_filter, gates=()) -> float:
    started = time.perf_counter()
    index.search(query, K, search_filter, gates)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    index = VectorIndex(DIM, pa.schema(METADATA_FIELDS))
    index.append(synthetic_rows(args.photos, rng), partition=False)
    queries = rng.normal(size=(args.queries, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    gate = Gate(queries[0], 0.05, above=False)
    after = datetime(2021, 1, 1)
    filters = {
        "folder": SearchFilter(folders=(f"{ROOT}/f03",)),
        "date range": SearchFilter(taken_after=after, taken_before=datetime(2022, 6, 1)),
        "file type": SearchFilter(types=("png",)),
        "orientation": SearchFilter(orientation="portrait"),
        "all four": SearchFilter(folders=(f"{ROOT}/f03",), taken_after=after, types=("jpg", "jpeg"),
                                 orientation="landscape"),
        "camera": SearchFilter(cameras=("pixel",)),
        "has location": SearchFilter(has_location=True),
        "near paris": SearchFilter(near=GeoCircle(48.8566, 2.3522, 25.0)),
        "camera+near": SearchFilter(cameras=("iphone",), near=GeoCircle(40.7128, -74.006, 50.0)),
    }
    for q in queries[:5]:  # warm up
        timed_ms(index, q, None)
    # Interleaved, query by query: a busy machine slows the baseline and the filters alike.
    times: dict[str, list[float]] = {"unfiltered": [], "two +/- parts": []}
    for i, q in enumerate(queries):
        times["unfiltered"].append(timed_ms(index, q, None))
        for name, search_filter in filters.items():
            # A filter unseen before (its mask is computed), then the same again (reused).
            fresh = replace(search_filter, taken_before=(
                search_filter.taken_before or datetime(2030, 1, 1)) + timedelta(seconds=i))
            times.setdefault(f"{name} new", []).append(timed_ms(index, q, fresh))
            times.setdefault(f"{name} same", []).append(timed_ms(index, q, fresh))
        times["two +/- parts"].append(timed_ms(index, q, None, (gate, replace(gate, above=True))))
    median = {name: statistics.median(values) for name, values in times.items()}
    unfiltered = median["unfiltered"]
    print(f"{args.photos:,} photos, {args.queries} queries, k={K}, dtype {index.dtype}")
    print(f"unfiltered search: {unfiltered:.2f} ms (the baseline, 1.00x)")
    for name in filters:
        fresh, cached = median[f"{name} new"], median[f"{name} same"]
        print(f"{name:12} new filter {fresh:7.2f} ms ({fresh / unfiltered:4.2f}x)   "
              f"same filter {cached:7.2f} ms ({cached / unfiltered:4.2f}x)")
    gated = median["two +/- parts"]
    print(f"{'two +/- parts':12} {gated:7.2f} ms ({gated / unfiltered:4.2f}x)")

if __name__ == "__main__":
    main()

"""Grid thumbnails/s from 12 MP camera JPEGs on two workers, against a baseline in the same run.

  baseline  Pillow full decode, made upright, thumbnail(256), stored in the disk cache
  cold      the grid's cold path: tile_image() on an empty cache (DCT-scaled decode)
  preview   the grid's first picture for a cold tile: the 160x120 preview the camera put
            in the EXIF, fitted to a 225 px tile (the real thumbnail follows as "cold")
  indexing  the decode pool alone and end-to-end indexing (tiny model, so the model is
            cheap), each without and with the thumbnail folder; the difference is what
            a thumbnail costs when indexing makes it, shown as thumbnails/s (1 / extra s a
            photo); and, less disturbed by other work, the same decode timed in one thread's
            CPU time without and with the thumbnail, photo by photo (thumbnails/s on WORKERS cores)
  warm      tile_image() again: the grid reading the cached JPEG into a QImage
Other work on the machine only adds time, so each figure is the best of --rounds.

    python benchmarks/bench_thumbnails.py [--photos 128] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import camera_photos

from photofinder.embedder import Embedder, ModelSpec
from photofinder.indexing.images import load_image
from photofinder.indexing.indexer import Indexer
from photofinder.store import PhotoStore
from photofinder.thumbnail_cache import DISK_PX, cache_file, write_thumbnail
from photofinder_testing.tinymodel import MODEL_NAME, register_config
from photofinder_testing.tinymodel.train import ensure_trained
from photofinder.ui.thumbnails import tile_image

WORKERS = 2
MODELS = Path(os.environ.get("PHOTOFINDER_TEST_CACHE",
                             Path(__file__).resolve().parents[1] / ".cache" / "test-models"))

Work = Callable[[Path, Path], object]  # (photo, thumbnail folder)


@dataclass(frozen=True)
class Rate:
    per_second: float  # photos a wall-clock second
    cpu_ms: float  # this process's CPU time a photo, all threads


def target_of(photo: Path, cache: Path) -> Path:
    stat = os.stat(photo)
    return cache_file(cache, str(photo), stat.st_size, stat.st_mtime_ns)


def full_decode(photo: Path, cache: Path) -> None:
    with Image.open(photo) as opened:
        opened.load()  # before thumbnail(), whose draft() would otherwise scale the decode
        picture = ImageOps.exif_transpose(opened).convert("RGB")
    picture.thumbnail((DISK_PX, DISK_PX))
    write_thumbnail(target_of(photo, cache), picture)


TILE_SIDE = 225  # a 180 px tile made 25% larger, as the grid asks


def grid(photo: Path, cache: Path) -> None:
    assert not tile_image(cache, str(photo), None, None, preview=False)[0].isNull()


def preview(photo: Path, cache: Path) -> None:
    image, final = tile_image(cache, str(photo), None, TILE_SIDE, preview=True)
    assert not final and image.width() == TILE_SIDE


def timed(photos: list[Path], run: Callable[[], object]) -> Rate:
    started, cpu = time.perf_counter(), time.process_time()
    run()
    return Rate(len(photos) / (time.perf_counter() - started),
                1000 * (time.process_time() - cpu) / len(photos))


def per_second(work: Work, photos: list[Path], cache: Path) -> Rate:
    """``work`` on every photo on WORKERS threads (a throwaway folder takes the warm-up)."""
    with tempfile.TemporaryDirectory() as warm_up:
        work(photos[0], Path(warm_up))
    with ThreadPoolExecutor(WORKERS) as pool:
        return timed(photos, lambda: list(pool.map(lambda photo: work(photo, cache), photos)))


def decode_pool(embedder: Embedder, thumbnails: bool) -> Work:
    """What an indexing worker does with a new photo, with or without its thumbnail."""
    def prepare(photo: Path, cache: Path) -> None:
        loaded = load_image(photo, embedder.input_size, DISK_PX if thumbnails else 0)
        embedder.preprocess(loaded.image)
        if thumbnails:
            write_thumbnail(target_of(photo, cache), loaded.thumbnail)
    return prepare


def indexing(embedder: Embedder, photos: list[Path], thumbnails: bool) -> Rate:
    with tempfile.TemporaryDirectory() as tmp:
        store = PhotoStore(Path(tmp) / "index", embedder.info.model_id, embedder.info.dimension)
        cache = Path(tmp) / "thumbnails" if thumbnails else None
        indexer = Indexer(store, embedder, workers=WORKERS, thumbnails=cache)
        changes = []
        rate = timed(photos, lambda: changes.append(indexer.run(photos)))
        assert len(changes[0].added) == len(photos), changes[0].problems[:3]
        assert not thumbnails or len(list(cache.rglob("*.jpg"))) == len(photos)
    return rate


def best(rounds: int, *measures: Callable[[Path], Rate]) -> list[Rate]:
    """The best wall and CPU figures of each measure over ``rounds`` rounds, each run into a
    fresh thumbnail folder; the measures take turns, so a busy spell hits them alike."""
    rates: list[list[Rate]] = [[] for _ in measures]
    for _ in range(rounds):
        for measure, runs in zip(measures, rates):
            with tempfile.TemporaryDirectory() as cache:
                runs.append(measure(Path(cache)))
    return [Rate(max(r.per_second for r in runs), min(r.cpu_ms for r in runs)) for runs in rates]


def inverse(seconds: float) -> float:
    return 1 / seconds if seconds > 0 else float("inf")


def with_and_without(name: str, rounds: int,
                     measure: Callable[[bool, Path], Rate]) -> list[tuple[str, Rate]]:
    """Print a stage's photos/s without and with thumbnails; a row of what the difference allows."""
    without, with_thumbs = best(rounds, lambda cache: measure(False, cache),
                                lambda cache: measure(True, cache))
    wall_s = 1 / with_thumbs.per_second - 1 / without.per_second
    cpu_ms = with_thumbs.cpu_ms - without.cpu_ms
    print(f"{name}: {without.per_second:5.1f} photos/s without thumbnails, "
          f"{with_thumbs.per_second:5.1f} with ({with_thumbs.per_second / without.per_second:.2f}x); "
          f"a photo takes {wall_s * 1000:+.2f} ms wall, CPU {without.cpu_ms:.1f} -> "
          f"{with_thumbs.cpu_ms:.1f} ms ({cpu_ms:+.2f})")
    return [(f"in {name}: 1 / extra wall time", Rate(inverse(wall_s), cpu_ms))]


def paired_extra(embedder: Embedder, photos: list[Path]) -> Rate:
    """The thumbnail's own CPU cost: each photo decoded for the model, then again with its
    thumbnail, in this thread's CPU time (other processes do not count)."""
    plain, with_thumbnail = decode_pool(embedder, False), decode_pool(embedder, True)
    extra_s = 0.0
    with tempfile.TemporaryDirectory() as cache:
        for photo in photos:
            started = time.thread_time()
            plain(photo, Path(cache))
            middle = time.thread_time()
            with_thumbnail(photo, Path(cache))
            extra_s += (time.thread_time() - middle) - (middle - started)
    extra_s /= len(photos)
    return Rate(inverse(extra_s / WORKERS), extra_s * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    photos, rounds = camera_photos(args.photos), args.rounds
    register_config()
    embedder = Embedder(ModelSpec(MODEL_NAME, "", str(ensure_trained(MODELS))), MODELS)
    embedder.load()
    print(f"{len(photos)} photos of 12 MP, {WORKERS} workers, {os.cpu_count()} cores, best of {rounds}")

    def warm(cache: Path) -> Rate:
        per_second(grid, photos, cache)  # fills the cache
        return per_second(grid, photos, cache)

    baseline, cold, first_picture, warm_grid = best(
        rounds, lambda cache: per_second(full_decode, photos, cache),
        lambda cache: per_second(grid, photos, cache),
        lambda cache: per_second(preview, photos, cache), warm)
    rows = [("baseline: full decode + thumbnail()", baseline),
            ("cold: grid tile_image (DCT scaled)", cold),
            ("cold, first picture: EXIF preview", first_picture)]
    rows += with_and_without("decode pool", rounds, lambda thumbs, cache: per_second(
        decode_pool(embedder, thumbs), photos, cache))
    rows += with_and_without("indexing", rounds, lambda thumbs, _: indexing(embedder, photos, thumbs))
    rows.append(("in one decode: thread CPU time", paired_extra(embedder, photos)))
    rows.append(("warm: grid tile_image from cache", warm_grid))
    print(f"\n{'thumbnails':40} {'per s':>8} {'x base':>7} {'CPU ms':>7}")
    for name, rate in rows:
        print(f"{name:40} {rate.per_second:8.1f} {rate.per_second / baseline.per_second:7.2f} "
              f"{rate.cpu_ms:7.2f}")


if __name__ == "__main__":
    main()

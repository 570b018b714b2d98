"""Damage, larger: the fault-injection table, repair times, and the user store's size.

In one run, with the tiny trained model (inference is cheap, so what shows is the
repair's own cost against indexing, the baseline measured in the same run):
  table    every damage of photofinder_testing.damage on a copy of a library of
           --table-photos photos with user items: detected, message, repaired, photos
           lost, user items lost;
  repair   a library of --photos photos (indexed, optimised, then one more batch): the
           newest manifest zeroed and repaired by rollback (plus re-embedding the batch
           the rollback dropped), and the _versions folder deleted and repaired by
           rebuild; each against indexing the same library from scratch;
  size     the user store and its 7 daily backups holding --ratings ratings (of
           --library photos) and --albums albums of --per-album photos each.

    python benchmarks/bench_damage.py [--photos 10000] [--table-photos 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from photofinder.config import Paths
from photofinder.embedder import MODEL_CONFIGS_ENV
from photofinder.index_health import check_table_files
from photofinder.library import Library
from photofinder.repair import repair_index
from photofinder.user_data import PhotoKey, UserData
from photofinder.user_data_backup import KEEP_BACKUPS, back_up, backups
from photofinder_testing import damage
from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
from photofinder_testing.tinymodel.shapes import write_photos
from photofinder_testing.tinymodel.train import ensure_trained

MODELS = Path(os.environ.get("PHOTOFINDER_TEST_CACHE",
                             Path(__file__).resolve().parents[1] / ".cache" / "test-models"))
LATE_BATCH = 100  # photos indexed after the optimisation: what a rollback drops


def use_tiny_model() -> None:
    os.environ.update(PHOTOFINDER_MODEL=MODEL_NAME, PHOTOFINDER_WEIGHTS=str(ensure_trained(MODELS)),
                      PHOTOFINDER_BACKEND="torch", PHOTOFINDER_PRECISION="fp32")
    os.environ[MODEL_CONFIGS_ENV] = str(CONFIG_DIR)


def build_library(root: Path, photos: int) -> tuple[Path, float]:
    """A library of ``photos`` shape photos with user items; seconds the first indexing took."""
    home = root / "home"
    for i in range(0, photos - LATE_BATCH, 1000):
        write_photos(root / "photos" / f"{i // 1000:03d}", min(1000, photos - LATE_BATCH - i),
                     seed=i, size_px=96)
    library = Library(Paths(home, home))
    library.add_folder(root / "photos")
    library.load_model()
    started = time.perf_counter()
    library.index()
    seconds = time.perf_counter() - started
    library.store.optimize()
    write_photos(root / "photos" / "late", LATE_BATCH, seed=99, size_px=96)
    library.index()  # a newer version the optimisation did not fold in
    damage.make_user_items(library)
    library.settings.save(library.paths.settings_file)
    return home, seconds


def copy_of(home: Path, to: Path) -> Paths:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(home, to)
    os.environ["PHOTOFINDER_HOME"] = str(to)  # for the CLI the checks start
    return Paths(to, to)


def timed_repair(paths: Paths, damage_name: str) -> tuple[str, float, int]:
    damage.INDEX_DAMAGES[damage_name](paths)
    library = Library(paths)
    library.load_model()
    started = time.perf_counter()
    report = repair_index(library)
    return report.method, time.perf_counter() - started, report.photos


def print_check_cost(paths: Paths) -> None:
    """What checking every file's CRC adds to the first search's read of the vectors."""
    store = Library(paths).store
    started = time.perf_counter()
    check_table_files(store.table_dir, contents=True)
    check = time.perf_counter() - started
    started = time.perf_counter()
    store.vectors_in_memory()  # checks the CRCs too
    load = time.perf_counter() - started
    print(f"  CRC check of the table's files {check * 1000:.0f} ms, within the first search's "
          f"read of the vectors {load * 1000:.0f} ms ({check / load:.0%} of it)")


def print_table(root: Path, photos: int) -> None:
    home, _ = build_library(root / "small", photos)
    rows = []
    for name in damage.INDEX_DAMAGES:
        rows.append(damage.damage_index(name, copy_of(home, root / "case")))
    rows.append(damage.settings_typo(copy_of(home, root / "case")))
    rows.append(damage.half_written_user_store(copy_of(home, root / "case")))
    rows.append(damage.kill_during_user_writes(copy_of(home, root / "case")))
    rows.append(damage.kill_during_backup(copy_of(home, root / "case")))
    rows.append(damage.kill_during_repair(copy_of(home, root / "case"), after_seconds=8))
    print(f"\nDamage to a library of {photos} photos with user items:\n")
    print(damage.TABLE_HEADER)
    for row in rows:
        print(row.row())


def print_repair_times(root: Path, photos: int) -> None:
    home, index_seconds = build_library(root / "large", photos)
    first = photos - LATE_BATCH
    print(f"\nRepair of {photos} photos (baseline: indexing {first} of them from scratch took "
          f"{index_seconds:.1f} s, {first / index_seconds:.0f} photos/s):")
    print_check_cost(copy_of(home, root / "case"))
    for name in ("newest manifest zeroed", "_versions folder deleted"):
        method, seconds, left = timed_repair(copy_of(home, root / "case"), name)
        print(f"  {name:26s} -> {method:8s} {seconds:6.1f} s  (x{seconds / index_seconds:.2f} "
              f"the indexing time), {left} photos after")


def print_user_store_size(root: Path, library_photos: int, ratings: int, albums: int,
                          per_album: int) -> None:
    store = UserData(root / "size" / "user_data.sqlite3")
    photo = lambda i: PhotoKey(f"/home/me/Pictures/{i // 500:04d}/IMG_{i:06d}.jpg",  # noqa: E731
                               f"{i:064x}")
    for i in range(ratings):
        store.set_rating(photo(i * (library_photos // ratings)), i % 5 + 1)
    for a in range(albums):
        album = store.create_album(f"Album {a}")
        store.add_to_album(album.id, [photo((a * per_album + j) % library_photos)
                                      for j in range(per_album)])
    store.add_folder("/home/me/Pictures")
    for day in range(KEEP_BACKUPS):
        back_up(store, root / "size" / "backups", today=date(2026, 1, 1) + timedelta(days=day))
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(f.stat().st_size for f in (root / "size").glob("user_data.sqlite3*"))
    kept = backups(root / "size" / "backups")
    print(f"\nUser store for {library_photos} photos, {ratings} ratings, {albums} albums of "
          f"{per_album}: {size / 1e6:.2f} MB; {len(kept)} backups "
          f"{sum(b.stat().st_size for b in kept) / 1e6:.2f} MB in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--table-photos", type=int, default=1_000)
    parser.add_argument("--library", type=int, default=100_000)
    parser.add_argument("--ratings", type=int, default=10_000)
    parser.add_argument("--albums", type=int, default=100)
    parser.add_argument("--per-album", type=int, default=100)
    args = parser.parse_args()
    use_tiny_model()
    with tempfile.TemporaryDirectory(prefix="bench-damage-") as tmp:
        root = Path(tmp)
        print_user_store_size(root, args.library, args.ratings, args.albums, args.per_album)
        print_table(root, args.table_photos)
        print_repair_times(root, args.photos)


if __name__ == "__main__":
    main()

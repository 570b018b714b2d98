"""A cold ``photofinder search "a dog"``: a new process against a large library.

The library is bench_app's (100,000 photo files, synthetic vectors, ViT-B-32 from
a weights file, its text tower saved). In the same run, each in fresh processes
(median of --runs):
  python -c pass          the interpreter alone,
  import numpy, pyarrow   the least a search over vectors imports,
  search, snapshot        photofinder search with the index snapshot mapped (numpy),
  search, table           the same without the snapshot (LanceDB and torch, as before),
then the -X importtime profile of the snapshot search: its slowest imports.

    python benchmarks/bench_cold_search.py [--photos 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_app import build_library
from camera_photos import CACHE

from photofinder.library import Library
from photofinder.store import table_name_for
from photofinder.vector_snapshot import snapshot_folder

QUERY = "a dog"


def environment(paths) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFINDER_")}
    env["PHOTOFINDER_HOME"] = str(paths.data)
    return env


def seconds(command: list[str], env: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def slowest_imports(env: dict, count: int = 8) -> list[tuple[float, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "photofinder", "search", QUERY],
                          env=env, capture_output=True, text=True, check=True, timeout=600)
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            if not name.startswith("   "):  # top-level and one below: what the code asked for
                rows.append((int(cumulative) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paths = build_library(CACHE / f"app-{args.photos}", args.photos)
    env = environment(paths)
    os.environ.update({k: v for k, v in env.items() if k.startswith("PHOTOFINDER_")})
    library = Library(paths)
    if library.embedder.text_tower_folder is None or not library.embedder.text_tower_folder.exists():
        library.load_model()  # saves the text tower, as a first start does
    library.store.save_snapshot()
    snapshot = snapshot_folder(paths.index, table_name_for(library.embedder.spec.model_id))
    search = [sys.executable, "-m", "photofinder", "search", QUERY, "-k", "20"]
    print(f"{args.photos:,} photos; median of {args.runs} fresh processes each")
    bare = seconds([sys.executable, "-c", "pass"], env, args.runs)
    imports = seconds([sys.executable, "-c", "import numpy, pyarrow"], env, args.runs)
    mapped = seconds(search, env, args.runs)
    profile = slowest_imports(env)
    moved = snapshot.with_name(snapshot.name + ".bench-away")
    os.replace(snapshot, moved)
    try:
        table = seconds(search, env, args.runs)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)  # the table path may have saved one again
        os.replace(moved, snapshot)
    print(f"python -c pass          {bare:6.2f} s")
    print(f"import numpy, pyarrow   {imports:6.2f} s")
    print(f"search, snapshot        {mapped:6.2f} s  ({mapped / bare:.1f}x a bare interpreter)")
    print(f"search, table           {table:6.2f} s  ({table / mapped:.1f}x the snapshot search)")
    print("slowest imports of the snapshot search (cumulative s):")
    for cost, name in profile:
        print(f"  {cost:6.3f}  {name}")


if __name__ == "__main__":
    main()

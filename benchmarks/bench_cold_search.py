"""A cold ``photofinder search "a dog"``: a new process against a large library.

The library is bench_app's (100,000 photo files, synthetic vectors, ViT-B-32 from
a weights file, its text tower saved). In the same run, each in fresh processes
(median of --runs):
  python -c pass          the interpreter alone (the baseline of every ratio),
  import numpy, pyarrow   the least a search over vectors imports,
  search, snapshot        photofinder search as it runs: the snapshot mapped, the
                          text tower in numpy (no torch, open_clip or lancedb),
  search, table           the full path, as before the snapshot: the table read
                          with LanceDB, the index built with torch (--table-runs),
then the -X importtime profile of the snapshot search: its slowest imports, the
share of its time spent importing, and which heavy modules it imported (none).

    python benchmarks/bench_cold_search.py [--photos 100000] [--runs 7] [--table-runs 2]
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
HEAVY = ("torch", "open_clip", "lancedb", "pyarrow.compute", "ftfy", "onnxruntime")


def environment(paths) -> dict:
    """Bytecode cached, as an installed photofinder has it (PYTHONDONTWRITEBYTECODE made
    every run compile photofinder's modules again: ~0.1 s)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PHOTOFINDER_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PHOTOFINDER_HOME"] = str(paths.data)
    return env


def seconds(command: list[str], env: dict, runs: int, before_each=lambda: None) -> float:
    """Median wall time of ``runs`` fresh processes, after one untimed run (bytecode, page cache)."""
    times = []
    before_each()
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
    for _ in range(runs):
        before_each()
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=900)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_profile(env: dict) -> tuple[float, list[str], list[tuple[float, str]]]:
    """(seconds spent importing, heavy modules imported, the slowest imports asked for
    by the code: top level and one below) of one cold search."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "photofinder", "search", QUERY],
                          env=env, capture_output=True, text=True, check=True, timeout=600)
    rows, total, names = [], 0.0, set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            names.add(name.strip())
            if not name.startswith(" " * 2):
                total += int(cumulative) / 1e6
            if not name.startswith(" " * 4):
                rows.append((int(cumulative) / 1e6, name.rstrip()))
    return total, [m for m in HEAVY if m in names], sorted(rows, reverse=True)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--table-runs", type=int, default=2, help="runs of the slow full path")
    args = parser.parse_args()
    paths = build_library(CACHE / f"app-library-{args.photos}", args.photos)  # bench_app's
    env = environment(paths)
    os.environ.update({k: v for k, v in env.items() if k.startswith("PHOTOFINDER_")})
    library = Library(paths)
    if library.embedder.text_tower_folder is None or not library.embedder.text_tower_folder.exists():
        library.load_model()  # saves the text tower, as a first start does
    library.store.save_snapshot()  # (again if it was saved in an older format)
    snapshot = snapshot_folder(paths.index, table_name_for(library.embedder.spec.model_id))
    search = [sys.executable, "-m", "photofinder", "search", QUERY, "-k", "20"]
    print(f"{args.photos:,} photos; median of {args.runs} fresh processes each "
          f"({args.table_runs} for the table path); {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    bare = seconds([sys.executable, "-c", "pass"], env, args.runs)
    floor = seconds([sys.executable, "-c", "import numpy, pyarrow"], env, args.runs)
    mapped = seconds(search, env, args.runs)
    imported, heavy, slowest = import_profile(env)
    moved = snapshot.with_name(snapshot.name + ".bench-away")
    os.replace(snapshot, moved)
    try:  # each run finds no snapshot (the table path saves one again as it ends)
        table = seconds(search, env, args.table_runs,
                        before_each=lambda: shutil.rmtree(snapshot, ignore_errors=True))
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
        os.replace(moved, snapshot)
    print(f"python -c pass          {bare:6.2f} s")
    print(f"import numpy, pyarrow   {floor:6.2f} s  (x{floor / bare:.0f} the bare interpreter)")
    print(f"search, snapshot        {mapped:6.2f} s  (x{mapped / bare:.0f} the bare interpreter, "
          f"x{mapped / floor:.1f} the import floor)")
    print(f"search, table           {table:6.2f} s  (x{table / mapped:.1f} the snapshot search)")
    print(f"the snapshot search imported for {imported:.2f} s (one -X importtime run); "
          f"heavy modules: {', '.join(heavy) or 'none'} (of {', '.join(HEAVY)})")
    print("its slowest imports (cumulative s):")
    for cost, name in slowest:
        print(f"  {cost:6.3f}  {name}")


if __name__ == "__main__":
    main()

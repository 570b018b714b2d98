"""The desktop app with 100,000 photos: cold start, rescan, memory, scrolling stalls.

A library of 100,000 photo files (hard links to 200 small JPEGs, so it takes
little disk) taken over 23 years (so the grid has ~275 month headers) with synthetic
512-d vectors in the index, and ViT-B-32 loaded
from a weights file as a user's downloaded model would be. In the same run:
  rescan     seconds for Library.index() over the unchanged library (stat only), in
             process as the command line runs it and with the survey in a child
             process as the window runs it, against a bare os.scandir + stat walk,
  cold start process age when the window is on screen and when the first text
             search (typed as the window appears) is answered, each in a fresh
             process, against a bare Qt window and a bare open_clip load; the
             first start saves the model's text tower, later ones use it,
  scrolling  the grid scrolled end to end (4 viewports per 16 ms frame): the
             longest gap of a 5 ms timer on the GUI thread, against the same
             timer in an idle window, and how much of that gap the GUI thread
             spent runnable but waiting for a CPU (Linux; other processes on
             a small machine),
  memory     resident set size after that (text tower, vectors, thumbnails loaded;
             the image half of the model loads only when photos need indexing),
  indexing   the same scroll while the window indexes --new-photos new 640x480
             photos (the model loads, decodes, embeds, commits, and the grid
             inserts them); they are deleted and forgotten afterwards.
The app runs offscreen (QT_QPA_PLATFORM=offscreen) in child processes.

    python benchmarks/bench_app.py [--photos 100000] [--starts 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from camera_photos import CACHE, camera_photo

from photofinder.config import Paths, Settings
from photofinder.embedder import TEXT_TOWERS_DIR, ModelSpec
from photofinder.records import Photo
from photofinder.store import PhotoStore
from photofinder.user_data import UserData

DIM = 512
DISTINCT = 200
QUERY = "a dog on a beach at sunset"
TAKEN_EVERY_H = 2  # photos taken 2 hours apart: 100,000 span 23 years, ~275 month headers


def weights_file() -> Path:
    """A ViT-B-32 state dict (random values: the cost is the same as pretrained)."""
    path = CACHE / "vit-b-32-random.pt"
    if not path.exists():
        import open_clip
        import torch

        torch.save(open_clip.create_model("ViT-B-32").state_dict(), path.with_suffix(".tmp"))
        os.replace(path.with_suffix(".tmp"), path)
    return path


def build_library(root: Path, count: int) -> Paths:
    """Photo files, settings and an index that matches them (made once, then reused)."""
    paths = Paths(data=root / "home", config=root / "home")
    done = root / f"complete-{count}-{TAKEN_EVERY_H}h"
    if done.exists():
        return paths
    originals = root / "originals"
    originals.mkdir(parents=True, exist_ok=True)
    for i in range(DISTINCT):
        camera_photo(i, (640, 480)).save(originals / f"{i}.jpg", quality=85)
    photos_root = root / "photos"
    rng = np.random.default_rng(0)
    weights = weights_file()
    settings = Settings()
    UserData(paths.user_data_file).add_folder(str(photos_root))
    settings.model, settings.weights, settings.pretrained = "ViT-B-32", str(weights), ""
    settings.save(paths.settings_file)
    store = PhotoStore(paths.index, ModelSpec("ViT-B-32", weights=str(weights)).model_id, DIM)
    for start in range(0, count, 10_000):
        batch = []
        for i in range(start, min(count, start + 10_000)):
            folder = photos_root / f"{i // 1000:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"IMG_{i:06d}.jpg"
            if not path.exists():
                os.link(originals / f"{i % DISTINCT}.jpg", path)
            stat = path.stat()
            batch.append(Photo(str(path), str(folder), stat.st_size, stat.st_mtime_ns, f"{i:032x}",
                               640, 480, datetime(2003, 1, 1) + timedelta(hours=TAKEN_EVERY_H * i),
                               camera=""))  # EXIF read, none found: no schema-3 backfill
        vectors = rng.normal(size=(len(batch), DIM)).astype(np.float32)
        store.upsert(batch, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    store.optimize()
    store.save_snapshot()  # as indexing leaves it: the first rescan timed does not save it
    done.touch()
    return paths


def rescan_seconds(paths: Paths) -> tuple[float, float, float]:
    """(photofinder's rescan of the unchanged library as the command line does it, as the
    window does it (surveyed in a child process), a bare scandir + stat walk)."""
    from photofinder.library import Library

    library = Library(paths)
    rescans = []
    for survey_in_child in (False, True):
        started = time.perf_counter()
        changes = library.index(survey_in_child=survey_in_child)
        rescans.append(time.perf_counter() - started)
        assert not changes.added and not changes.updated and not changes.removed, "library changed"
    started = time.perf_counter()
    stack = list(library.folders())
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    stack.append(entry.path)
                else:
                    entry.stat()
    return *rescans, time.perf_counter() - started


# Runs in a child process: opens the real window and reports process ages (ms) as JSON.
APP_DRIVER = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtCore import QTimer
    from photofinder.ui import app
    from photofinder.ui.main_window import MainWindow

    mode, query = sys.argv[1], sys.argv[2]
    report = {}

    def cpu_wait_ms():  # how long this thread has been runnable but waiting for a CPU (Linux)
        try:
            with open("/proc/thread-self/schedstat") as fh:
                return int(fh.read().split()[1]) / 1e6
        except OSError:
            return 0.0
    original_start = MainWindow.start

    def start(window):
        report["window_ms"] = app._process_age_ms()
        original_start(window)
        if mode == "search":
            window.search.results.connect(lambda result: answered(window))
            window.search_box.setText(query)
            window.search.set_text(query)
            window.search.search_now()
        else:
            window.library_ctl.loaded.connect(lambda: QTimer.singleShot(500, lambda: scroll(window)))

    def answered(window):
        if "first_search_ms" not in report:
            report["first_search_ms"] = app._process_age_ms()
            QTimer.singleShot(0, window.close)

    def scroll(window):
        if not window.loader.is_ready:  # measure with the model and vectors loaded
            window.loader.ready.connect(lambda: scroll(window))
            return
        grid = window.content.library_grid
        bar = grid.verticalScrollBar()
        gaps, last = [], [time.perf_counter(), cpu_wait_ms()]
        worst = {"gap": 0.0, "cpu_wait_ms": 0.0}
        ticker = QTimer(window)
        ticker.setInterval(5)
        def tick():
            now, waited = time.perf_counter(), cpu_wait_ms()
            gaps.append(now - last[0])
            if gaps[-1] > worst["gap"]:
                worst.update(gap=gaps[-1], cpu_wait_ms=waited - last[1])
            last[:] = now, waited
        ticker.timeout.connect(tick)
        stepper = QTimer(window)
        stepper.setInterval(16)
        def step():
            if bar.value() >= bar.maximum():
                stepper.stop()
                QTimer.singleShot(2000, finish)
            bar.setValue(bar.value() + 4 * grid.viewport().height())
        def finish():
            ticker.stop()
            with open("/proc/self/status") as fh:
                status = dict(line.split(":", 1) for line in fh)
            report.update(photos=window.library_ctl.model.rowCount(), steps=len(gaps),
                          longest_gap_ms=max(gaps) * 1000,
                          p99_gap_ms=float(sorted(gaps)[int(0.99 * len(gaps))] * 1000),
                          longest_gap_cpu_wait_ms=worst["cpu_wait_ms"],
                          gaps_over_50_ms=sum(gap > 0.05 for gap in gaps),
                          rss_mb=int(status["VmRSS"].split()[0]) / 1024,
                          peak_rss_mb=int(status["VmHWM"].split()[0]) / 1024)
            window.close()
        stepper.timeout.connect(step)
        ticker.start()
        stepper.start()

    MainWindow.start = start
    app.run_app([])
    print("REPORT " + json.dumps(report))
""")

IDLE_DRIVER = textwrap.dedent("""
    import json, time
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    from photofinder.ui.app import _process_age_ms
    app = QApplication([])
    window = QWidget()
    window.resize(1100, 700)
    report, gaps, last = {}, [], [time.perf_counter()]
    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    def shown():
        report["window_ms"] = _process_age_ms()
        ticker.start()
        QTimer.singleShot(3000, finish)
    def finish():
        report["longest_gap_ms"] = max(gaps) * 1000
        app.quit()
    window.show()
    QTimer.singleShot(0, shown)
    app.exec()
    print("REPORT " + json.dumps(report))
""")

MODEL_DRIVER = textwrap.dedent("""
    import json, sys
    from photofinder.ui.app import _process_age_ms
    import open_clip, torch
    model = open_clip.create_model("ViT-B-32", pretrained=sys.argv[1]).eval()
    with torch.inference_mode():
        model.encode_text(open_clip.get_tokenizer("ViT-B-32")([sys.argv[2]]))
    print("REPORT " + json.dumps({"first_text_ms": _process_age_ms()}))
""")


def child(code: str, paths: Paths | None, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items()  # bytecode cached, as an install has it
           if not k.startswith("PHOTOFINDER_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if paths is not None:
        env["PHOTOFINDER_HOME"] = str(paths.data)
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=600)
    for line in done.stdout.splitlines():
        if line.startswith("REPORT "):
            return json.loads(line[7:])
    raise RuntimeError(f"child failed ({done.returncode}):\n{done.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time")
    parser.add_argument("--new-photos", type=int, default=1500,
                        help="photos indexed while scrolling (0: skip)")
    parser.add_argument("--starts-only", action="store_true",
                        help="only the baselines and the cold starts (no rescan, scrolling, indexing)")
    args = parser.parse_args()
    started = time.perf_counter()
    paths = build_library(CACHE / f"app-library-{args.photos}", args.photos)
    print(f"library of {args.photos:,} photos ready in {time.perf_counter() - started:.0f} s "
          f"({paths.data})")
    if args.starts_only:
        cold_starts(paths, args.starts)
        return
    rescan, rescan_in_child, walk = rescan_seconds(paths)
    print(f"rescan of the unchanged library: {rescan:.2f} s in process (command line), "
          f"{rescan_in_child:.2f} s surveyed in a child process (window); bare scandir+stat walk: "
          f"{walk:.2f} s (ratios {rescan / walk:.1f}, {rescan_in_child / walk:.1f})")

    bare_window = cold_starts(paths, args.starts)
    if not (paths.models / TEXT_TOWERS_DIR).is_dir():  # a first start holds torch and the
        child(APP_DRIVER, paths, "search", QUERY)  # whole model: one untimed saves the tower
    s = child(APP_DRIVER, paths, "scroll", QUERY)
    print(f"scrolled {s['photos']:,} photos end to end: longest GUI gap {s['longest_gap_ms']:.0f} ms "
          f"({s['longest_gap_cpu_wait_ms']:.0f} ms of it waiting for a CPU), p99 {s['p99_gap_ms']:.1f} ms, "
          f"{s['gaps_over_50_ms']} gaps over 50 ms in {s['steps']} ticks of a 5 ms timer "
          f"(idle window: longest {bare_window['longest_gap_ms']:.0f} ms)")
    print(f"memory: {s['rss_mb']:.0f} MB resident after scrolling, peak {s['peak_rss_mb']:.0f} MB")
    if args.new_photos:
        busy = scroll_while_indexing(paths, args.new_photos)
        print(f"scrolled while indexing {args.new_photos:,} new photos ({busy['photos']:,} in the grid "
              f"at the end): longest GUI gap {busy['longest_gap_ms']:.0f} ms "
              f"({busy['longest_gap_cpu_wait_ms']:.0f} ms of it waiting for a CPU), p99 "
              f"{busy['p99_gap_ms']:.1f} ms (x{busy['p99_gap_ms'] / s['p99_gap_ms']:.1f} the idle "
              f"library's), {busy['gaps_over_50_ms']} gaps over 50 ms in {busy['steps']} ticks")


def cold_starts(paths: Paths, starts: int) -> dict:
    """The baselines, then ``starts`` window starts each answering a query typed at once;
    the bare Qt window's report."""
    bare_window = child(IDLE_DRIVER, None)
    bare_model = child(MODEL_DRIVER, None, str(weights_file()), QUERY)
    print(f"baselines: bare Qt window on screen at {bare_window['window_ms']:.0f} ms; "
          f"bare open_clip ViT-B-32 from the file answers one text at {bare_model['first_text_ms']:.0f} ms")
    # The first start with a model loads it with torch and saves its text tower; every
    # later start answers text from the tower without importing open_clip. With no start
    # to time, the tower is kept: the scroll run measures a later start either way.
    if starts:
        shutil.rmtree(paths.models / TEXT_TOWERS_DIR, ignore_errors=True)
    for run in range(1, starts + 1):
        r = child(APP_DRIVER, paths, "search", QUERY)
        kind = "first start with this model" if run == 1 else "later start"
        print(f"start {run} ({kind}): window on screen at {r['window_ms']:.0f} ms "
              f"(x{r['window_ms'] / bare_window['window_ms']:.1f} bare Qt); first search answered at "
              f"{r['first_search_ms']:.0f} ms (x{r['first_search_ms'] / bare_model['first_text_ms']:.2f} "
              f"bare open_clip)", flush=True)
    return bare_window


def scroll_while_indexing(paths: Paths, count: int) -> dict:
    """The scroll run with ``count`` new photos to index at start-up; the library is put
    back as it was afterwards."""
    from photofinder.library import Library

    folder = Path(UserData(paths.user_data_file).folders()[0].path) / "zzz-new"
    folder.mkdir(exist_ok=True)
    try:
        for i in range(count):
            camera_photo(DISTINCT + i, (640, 480)).save(folder / f"NEW_{i:05d}.jpg", quality=85)
        return child(APP_DRIVER, paths, "scroll", QUERY)
    finally:
        shutil.rmtree(folder)
        Library(paths).index()  # forgets whatever the window indexed


if __name__ == "__main__":
    main()

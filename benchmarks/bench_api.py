"""The HTTP API under load on loopback, against the same searches in-process, in one run.

  load  C concurrent clients (keep-alive connections) send N text searches to a
        `photofinder serve` process: requests/s, p50 and p99 latency; the baseline
        is the same N searches through Library.search in this process, by C threads.
  cli   `photofinder search` wall time (median of R runs) while that server runs (the
        CLI hands the search to it) and after it stopped (the CLI loads the model).

The tiny trained model keeps inference cheap, so what the API layer adds shows; with a
real model both sides pay the same model time per query.

    python benchmarks/bench_api.py [--photos 300] [--clients 8] [--searches 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from photofinder.api.server import NOTE_FILE, TOKEN_FILE
from photofinder.config import Paths, Settings
from photofinder.embedder import MODEL_CONFIGS_ENV, ModelSpec
from photofinder.library import Library
from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
from photofinder_testing.tinymodel.shapes import COLOURS, SHAPES, write_photos
from photofinder_testing.tinymodel.train import ensure_trained

MODELS = Path(os.environ.get("PHOTOFINDER_TEST_CACHE",
                             Path(__file__).resolve().parents[1] / ".cache" / "test-models"))
QUERIES = [f"a {colour} {shape}" for colour in COLOURS for shape in SHAPES]


def run_clients(clients: int, searches: int, search) -> tuple[float, list[float]]:
    """(seconds for all, per-search latencies) with ``clients`` threads sharing the work."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(searches))

    def client() -> None:
        state = {}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            started = time.perf_counter()
            search(QUERIES[i % len(QUERIES)], state)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(name: str, seconds: float, latencies: list[float], baseline: float | None = None) -> float:
    rate = len(latencies) / seconds
    ratio = f"{rate / baseline:6.2f}" if baseline else "     -"
    print(f"{name:12} {len(latencies):6d} {rate:9.1f} {percentile(latencies, 50) * 1000:8.2f} "
          f"{percentile(latencies, 99) * 1000:8.2f} {ratio}")
    return rate


def cli_search_seconds(env: dict, runs: int) -> tuple[float, bool]:
    """Median wall time of `photofinder -v search`, and whether it asked a running instance."""
    times, asked = [], False
    for i in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "photofinder", "-v", "search",
                               QUERIES[i % len(QUERIES)], "--json"],
                              env=env, capture_output=True, text=True, timeout=300)
        times.append(time.perf_counter() - started)
        assert done.returncode == 0, done.stderr[-2000:]
        asked = "asking the running photofinder" in done.stderr
    return statistics.median(times), asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="CLI searches timed each way")
    args = parser.parse_args()

    weights = ensure_trained(MODELS)
    root = Path(tempfile.mkdtemp(prefix="bench-api-"))
    env = {**os.environ, "PHOTOFINDER_HOME": str(root / "home"), MODEL_CONFIGS_ENV: str(CONFIG_DIR),
           "PHOTOFINDER_MODEL": MODEL_NAME, "PHOTOFINDER_WEIGHTS": str(weights)}
    os.environ.update(env)
    write_photos(root / "photos", args.photos, seed=1)
    library = Library(Paths.from_environment(), Settings(), ModelSpec(MODEL_NAME, "", str(weights)))
    library.add_folder(root / "photos")
    library.index([str(root / "photos")])
    library.prepare_search()
    print(f"{args.photos} photos, {args.clients} clients, {args.searches} text searches (k=5), "
          f"{os.cpu_count()} CPUs")
    print(f"{'':12} {'done':>6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")

    def in_process(query: str, state: dict) -> None:
        library.search(query, 5, include_weaker=True)

    baseline = report("in-process", *run_clients(args.clients, args.searches, in_process))

    server = subprocess.Popen([sys.executable, "-m", "photofinder", "serve", "--port", "0",
                               "--rate-limit", "0"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        note = Paths.from_environment().data / NOTE_FILE
        deadline = time.monotonic() + 300
        while not note.exists():
            assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        url = json.loads(note.read_text())["url"]
        token = (Paths.from_environment().data / TOKEN_FILE).read_text().strip()

        def over_http(query: str, state: dict) -> None:
            session = state.setdefault("session", requests.Session())
            answer = session.post(url + "/api/search", json={"query": query, "k": 5, "all": True},
                                  headers={"Authorization": f"Bearer {token}"}, timeout=60)
            assert answer.status_code == 200, answer.text

        report("http", *run_clients(args.clients, args.searches, over_http), baseline)
        with_server, asked = cli_search_seconds(env, args.runs)
        assert asked, "the CLI did not use the running server"
    finally:
        server.terminate()
        server.communicate(timeout=60)
    alone, asked = cli_search_seconds(env, args.runs)
    assert not asked
    print(f"\nCLI search, median of {args.runs}: {with_server:.2f} s through the running server, "
          f"{alone:.2f} s alone (loads the model); ratio {alone / with_server:.1f}x")


if __name__ == "__main__":
    main()

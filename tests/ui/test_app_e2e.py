"""The real program, started as a user would, in a subprocess with an offscreen screen."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofinder.library import Library

pytestmark = pytest.mark.slow

STARTUP_BUDGET_MS = 5000  # generous for a loaded test machine; typically well under 1.5 s


def start(args: list[str], home: Path) -> subprocess.Popen:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PHOTOFINDER_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_log(home: Path, pattern: str, process: subprocess.Popen, timeout: float = 60) -> re.Match:
    log_file = home / "logs" / "photofinder.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_file.exists():
            match = re.search(pattern, log_file.read_text(encoding="utf-8"))
            if match:
                return match
        if process.poll() is not None:
            pytest.fail(f"photofinder exited early ({process.returncode}): {process.stdout.read()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"no {pattern!r} in the log within {timeout} s: {process.communicate()[0]}")


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


def test_window_shows_quickly_and_sigterm_closes_it_cleanly(private_home):
    process = start(["photofinder"], private_home)
    shown = wait_for_log(private_home, r"window shown in (\d+) ms", process)
    assert int(shown.group(1)) < STARTUP_BUDGET_MS
    stop(process)
    log = (private_home / "logs" / "photofinder.log").read_text()
    assert "signal SIGTERM: closing the window" in log
    assert "window closed; exit code 0" in log
    assert "Traceback" not in log


def test_image_arguments_open_a_similar_search(private_home, tiny_model, shape_folder):
    folder, photos = shape_folder
    library = Library()
    library.add_folder(folder)
    library.index()
    query = photos[0][0]
    process = start(["photofinder", str(query)], private_home)
    try:
        found = wait_for_log(private_home, rf"search like {query.name}: (\d+) results", process)
    finally:
        stop(process)
    # the photos like it that pass the relevance cut-off: some, never the query itself or all
    assert 0 < int(found.group(1)) < len(photos) - 1

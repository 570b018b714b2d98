"""The bundled program (packaging/build-linux.sh) as a user starts it: no virtual
environment, no Python on PATH. Its commands answer; its window opens on a virtual
screen (Xvfb) and, offline, lists a folder's photos without the model.

Slow, and it needs a build: packaging/release-check.sh runs it, or
``PHOTOFINDER_TEST_BUNDLE=dist/photofinder pytest tests/test_bundle.py``. The torch-free
bundle (``build-linux.sh --torch-free``: dist/torch-free/photofinder) must also index and
search with a model's published ONNX export, fetched from a Hub-like server.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers.hub_server import running_hub
from photofinder.config import Settings
from photofinder_testing.published_export import PRETRAINED, published_files
from photofinder_testing.tinymodel import CONFIG_DIR, MODEL_NAME
from photofinder_testing.tinymodel.shapes import write_photos

pytestmark = pytest.mark.slow
WINDOW_TIMEOUT_S = 180


@pytest.fixture
def bundle() -> Path:
    folder = os.environ.get("PHOTOFINDER_TEST_BUNDLE")
    if not folder:
        pytest.skip("no bundle to test: run packaging/build-linux.sh, then set "
                    "PHOTOFINDER_TEST_BUNDLE=dist/photofinder")
    program = Path(folder).resolve() / "photofinder"
    assert program.is_file(), f"{program} is missing: build the bundle first"
    return program


def user_environment(home: Path, **more: str) -> dict[str, str]:
    """What a desktop session gives a program: no venv, no PYTHONPATH, system PATH only."""
    closed = _closed_port()
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
            "PHOTOFINDER_HOME": str(home / "photofinder"), "no_proxy": "*",
            "PHOTOFINDER_DOWNLOAD_BASE": f"http://127.0.0.1:{closed}", **more}


def run(program: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(program), *args], env=env, capture_output=True, text=True,
                          timeout=WINDOW_TIMEOUT_S)


def test_the_bundle_answers_its_commands_without_a_virtual_environment(bundle, tmp_path):
    env = user_environment(tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg"))
    helped = run(bundle, "--help", env=env)
    assert helped.returncode == 0, helped.stderr
    assert "Find photos by what is in them" in helped.stdout
    status = run(bundle, "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["photos"] == 0
    installed = run(bundle, "install-desktop", env=env)
    assert installed.returncode == 0, installed.stderr
    entry = (tmp_path / "xdg" / "applications" / "photofinder.desktop").read_text()
    assert f"Exec={bundle} %F" in entry  # the bundle itself, not a Python


@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xdotool") is None,
                    reason="needs Xvfb and xdotool")
def test_the_bundled_window_opens_and_lists_photos_offline(bundle, tmp_path):
    write_photos(tmp_path / "photos", 12, seed=5)
    display = _free_display()
    screen = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = user_environment(tmp_path, DISPLAY=display, QT_QPA_PLATFORM="xcb")
    window = None
    try:
        _wait_for(lambda: Path(f"/tmp/.X11-unix/X{display[1:]}").exists(), "the virtual screen")
        window = subprocess.Popen([str(bundle), str(tmp_path / "photos")], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: subprocess.run(["xdotool", "search", "--name", "^photofinder$"],
                                         env=env, capture_output=True).returncode == 0,
                  "the window", window)

        def listed() -> dict:
            status = run(bundle, "status", "--json", env=env)
            return json.loads(status.stdout) if status.returncode == 0 else {}

        _wait_for(lambda: listed().get("photos") == 12, "the photos listed", window)
        assert listed()["photos_without_vectors"] == 12  # offline: no model, yet browsable
        window.terminate()  # closes the window cleanly (SIGTERM)
        assert window.wait(timeout=60) == 0, window.stderr.read()
    finally:
        if window is not None and window.poll() is None:
            window.kill()
        screen.terminate()
        screen.wait(timeout=10)


def test_the_torch_free_bundle_indexes_and_searches_with_a_published_export(
        bundle, tiny_weights, tmp_path):
    if (bundle.parent / "_internal" / "torch").exists():
        pytest.skip("a bundle with torch: the torch-free one is dist/torch-free/photofinder")
    write_photos(tmp_path / "photos", 12, seed=5)
    home = tmp_path / "photofinder"
    home.mkdir()
    Settings(model=MODEL_NAME, pretrained=PRETRAINED).save(home / "settings.json")
    with running_hub() as hub:
        hub.files = published_files(tiny_weights, tmp_path / "export")
        env = user_environment(tmp_path, PHOTOFINDER_DOWNLOAD_BASE=hub.base,
                               PHOTOFINDER_MODEL_CONFIGS=str(CONFIG_DIR))
        indexed = run(bundle, "index", str(tmp_path / "photos"), env=env)
        assert indexed.returncode == 0, indexed.stderr
        found = run(bundle, "search", "a red circle", "--json", "--all", env=env)
    assert found.returncode == 0, found.stderr
    assert len(json.loads(found.stdout)) == 12
    status = json.loads(run(bundle, "status", "--json", env=env).stdout)
    assert status["photos_without_vectors"] == 0 and status["backend"] == "onnx-fp32"


def _wait_for(condition, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WINDOW_TIMEOUT_S
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the bundle exited ({process.returncode}) before {what}: "
                        f"{process.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {WINDOW_TIMEOUT_S} s")
        time.sleep(0.5)


def _free_display() -> str:
    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                  and not Path(f"/tmp/.X{n}-lock").exists())
    return f":{number}"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

"""Fixtures shared by the whole suite: a private data folder and the shared photos."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from photofinder.embedder import MODEL_CONFIGS_ENV
from photofinder_testing.tinymodel import CONFIG_DIR

# send2trash reads XDG_DATA_HOME once, when imported: a photo a test sends to the trash
# must never reach the real one.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="photofinder-test-xdg-")

REPO = Path(__file__).resolve().parents[1]
SHARED_PHOTOS = Path(
    os.environ.get("PHOTOFINDER_TEST_PHOTOS", REPO.parent / "shared" / "photos" / "coco-train")
)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own data folder and default settings, and knows the tiny model."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PHOTOFINDER_HOME", str(home))
    monkeypatch.setenv(MODEL_CONFIGS_ENV, str(CONFIG_DIR))
    for name in ("PHOTOFINDER_MODEL", "PHOTOFINDER_WEIGHTS"):
        monkeypatch.delenv(name, raising=False)
    # No backend measuring in a background thread (tests/test_backends.py measures).
    monkeypatch.setenv("PHOTOFINDER_BACKEND", "torch")
    return home


@pytest.fixture(scope="session")
def shared_photos() -> Path:
    """The 80 real COCO photos from ../shared (PHOTOFINDER_TEST_PHOTOS moves them)."""
    images = SHARED_PHOTOS / "images"
    if not images.is_dir():
        pytest.skip(f"shared photos not found at {SHARED_PHOTOS} (set PHOTOFINDER_TEST_PHOTOS)")
    return images


@pytest.fixture(scope="session")
def shared_labels(shared_photos) -> dict[str, dict]:
    """labels.jsonl of the shared photos, keyed by file name."""
    labels = {}
    with open(SHARED_PHOTOS / "labels.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            labels[Path(row["file"]).name] = row
    return labels


TEST_CACHE = Path(os.environ.get("PHOTOFINDER_TEST_CACHE", REPO / ".cache" / "test-models"))


@pytest.fixture(scope="session")
def tiny_weights() -> Path:
    """The tiny shapes model, trained once (about a minute) and cached between runs."""
    from photofinder_testing.tinymodel.train import ensure_trained

    return ensure_trained(TEST_CACHE)


@pytest.fixture
def tiny_model(tiny_weights, monkeypatch) -> Path:
    """Point photofinder (in this process and in subprocesses) at the tiny trained model."""
    from photofinder_testing.tinymodel import MODEL_NAME

    monkeypatch.setenv("PHOTOFINDER_MODEL", MODEL_NAME)
    monkeypatch.setenv("PHOTOFINDER_WEIGHTS", str(tiny_weights))
    return tiny_weights

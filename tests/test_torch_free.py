"""An install without torch and open_clip (the torch-free bundle): it fetches the model's
published ONNX export from a Hub-like server, indexes and searches with ONNX Runtime and
numpy alone, and ranks photos as the torch install does with the same model."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from helpers.hub_server import running_hub
from helpers.torch_free import torch_free_command
from photofinder.config import Settings
from photofinder.errors import DownloadError
from photofinder.published_onnx import FILES, IMAGE_MODEL
from photofinder.weights import ensure_onnx_export, onnx_export_repo
from photofinder_testing.published_export import PRETRAINED, published_files
from photofinder_testing.tinymodel import MODEL_NAME
from photofinder_testing.tinymodel.shapes import write_photos

QUERIES = ("a red circle", "blue square")


@pytest.fixture(scope="module")
def published(tiny_weights, tmp_path_factory) -> dict[str, bytes]:
    return published_files(tiny_weights, tmp_path_factory.mktemp("export"))


def photofinder(command: list[str], env: dict[str, str], *args: str) -> list[dict]:
    done = subprocess.run([*command, "-m", "photofinder", *args], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout) if "--json" in args else []


def ranking(command, env, photos) -> dict[str, list[tuple[str, float]]]:
    """Every photo, best first, with its score: for each text query and for one photo."""
    found = {}
    for query in QUERIES:
        hits = photofinder(command, env, "search", query, "--json", "--all", "-k", "100")
        found[query] = [(h["path"], h["score"]) for h in hits]
    hits = photofinder(command, env, "similar", str(photos[0][0]), "--json", "--all", "-k", "100")
    found["similar"] = [(h["path"], h["score"]) for h in hits]
    return found


def test_without_torch_it_indexes_and_searches_as_the_torch_install_does(
        tiny_model, published, tmp_path, monkeypatch):
    photos = write_photos(tmp_path / "photos", 16, seed=11)
    # with torch: the tiny model's weights file, in fp32 as ONNX Runtime runs the export
    torch_env = {**os.environ, "PHOTOFINDER_HOME": str(tmp_path / "torch-home"),
                 "PHOTOFINDER_PRECISION": "fp32"}
    photofinder([sys.executable], torch_env, "index", str(tmp_path / "photos"))
    expected = ranking([sys.executable], torch_env, photos)

    # without: the same model's published export, from the Hub-like server
    command, env = torch_free_command(tmp_path / "env")
    home = tmp_path / "torch-free-home"
    home.mkdir()
    Settings(model=MODEL_NAME, pretrained=PRETRAINED).save(home / "settings.json")
    env.pop("PHOTOFINDER_WEIGHTS")
    env.pop("PHOTOFINDER_MODEL")
    check = subprocess.run([*command, "-c", "import importlib.util as u; "
                            "print(u.find_spec('torch'), u.find_spec('open_clip'))"],
                           env=env, capture_output=True, text=True)
    assert check.stdout.split() == ["None", "None"], check.stderr
    with running_hub() as hub:
        hub.files = published
        env.update(PHOTOFINDER_HOME=str(home), PHOTOFINDER_DOWNLOAD_BASE=hub.base)
        photofinder(command, env, "index", str(tmp_path / "photos"))
        status = json.loads(subprocess.run([*command, "-m", "photofinder", "status", "--json"],
                                           env=env, capture_output=True, text=True).stdout)
        found = ranking(command, env, photos)
    assert status["photos"] == 16 and status["photos_without_vectors"] == 0
    assert status["backend"] == "onnx-fp32" and "published ONNX export" in status["runs_on"]
    for query, hits in expected.items():
        scores = dict(hits)
        assert dict(found[query]) == pytest.approx(scores, abs=1e-3), query
        # the same order, but for photos whose scores tie (identical shapes drawn twice)
        for (path, _), (expected_path, _) in zip(found[query], hits):
            assert path == expected_path or abs(scores[path] - scores[expected_path]) < 1e-3, query


def test_the_export_downloads_verified_with_its_total_progress(published, tmp_path, monkeypatch):
    reports = []
    with running_hub() as hub:
        hub.files = published
        monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", hub.base)
        folder = ensure_onnx_export(MODEL_NAME, PRETRAINED, tmp_path / "models",
                                    progress=lambda done, total: reports.append((done, total)))
        fetched = len(hub.requests)
        assert ensure_onnx_export(MODEL_NAME, PRETRAINED, tmp_path / "models") == folder
        assert len(hub.requests) == fetched  # the second time: from the folder, no request
    for name in FILES:
        served = next(body for path, body in published.items() if path.endswith("/" + name))
        assert hashlib.sha256((folder / name).read_bytes()).digest() == hashlib.sha256(served).digest()
    total = sum(len(body) for body in published.values() if body is not None)
    assert reports[-1] == (total, total)
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


def test_a_missing_export_names_the_file_and_the_model_page(published, tmp_path, monkeypatch):
    with running_hub() as hub:
        hub.files = {path: body for path, body in published.items() if not path.endswith(IMAGE_MODEL)}
        monkeypatch.setenv("PHOTOFINDER_DOWNLOAD_BASE", hub.base)
        with pytest.raises(DownloadError, match="not found") as raised:
            ensure_onnx_export(MODEL_NAME, PRETRAINED, tmp_path / "models")
    assert raised.value.source.file_name == IMAGE_MODEL
    assert raised.value.source.page.endswith(f"/immich-app/{MODEL_NAME}__{PRETRAINED}")
    assert not (tmp_path / "models" / "onnx-published" / f"{MODEL_NAME}__{PRETRAINED}" / IMAGE_MODEL).exists()


def test_listed_models_fetch_the_export_immich_publishes_or_say_which_have_one():
    assert onnx_export_repo("ViT-B-32", "laion2b_s34b_b79k") == "immich-app/ViT-B-32__laion2b-s34b-b79k"
    assert onnx_export_repo("ViT-B-32", "openai") == "immich-app/ViT-B-32__openai"
    assert onnx_export_repo(MODEL_NAME, PRETRAINED) == f"immich-app/{MODEL_NAME}__{PRETRAINED}"
    with pytest.raises(DownloadError, match="no published ONNX export.*ViT-B/32 LAION-2B"):
        onnx_export_repo("ViT-B-16", "laion2b_s34b_b88k")


def test_offline_without_torch_a_chosen_file_is_refused_with_where_the_export_goes(tmp_path):
    command, env = torch_free_command(tmp_path / "env")
    chosen = tmp_path / "open_clip_model.safetensors"
    chosen.write_bytes(b"weights")
    script = "\n".join([
        "import sys",
        "from pathlib import Path",
        "from photofinder.embedder import Embedder, ModelSpec",
        "from photofinder.errors import ModelError",
        "embedder = Embedder(ModelSpec('ViT-B-32', 'laion2b_s34b_b79k'), Path(sys.argv[1]))",
        "try:",
        "    embedder.install_weights_file(sys.argv[2])",
        "except ModelError as exc:",
        "    print(exc)",
    ])
    done = subprocess.run([*command, "-c", script, str(tmp_path / "models"), str(chosen)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "without torch" in done.stdout
    assert "huggingface.co/immich-app/ViT-B-32__laion2b-s34b-b79k" in done.stdout
    assert str(tmp_path / "models" / "onnx-published" / "ViT-B-32__laion2b-s34b-b79k") in done.stdout

"""The backend chosen at run time: measured once, agreeing with torch fp32, overridable,
and a damaged ONNX export is made again rather than crashing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from photofinder.backends import CHOICES_FILE, MIN_AGREEMENT
from photofinder.embedder import Embedder, ModelSpec
from photofinder.hardware import Placement
from photofinder.onnx_export import IMAGE_FILES, META_FILE
from photofinder_testing.tinymodel import MODEL_NAME
from photofinder_testing.tinymodel.shapes import draw, random_shape

pytest.importorskip("onnxruntime")


@pytest.fixture
def photos():
    """Pictures of the kind the tiny model knows: its "real photos"."""
    rng = np.random.default_rng(7)
    return [draw(random_shape(rng), 96, rng) for _ in range(8)]


def embedder(weights, models_dir, backend: str | None = None) -> Embedder:
    return Embedder(ModelSpec(MODEL_NAME, weights=str(weights)), models_dir,
                    Placement("cpu", "fp32", 16), backend=backend)


def reference(weights, models_dir, photos) -> np.ndarray:
    return embedder(weights, models_dir / "reference", "torch-fp32").embed_images(photos)


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))


def test_the_fastest_agreeing_backend_is_measured_once_and_remembered(
        tiny_weights, tmp_path, photos, monkeypatch):
    monkeypatch.delenv("PHOTOFINDER_BACKEND")
    first = embedder(tiny_weights, tmp_path)
    first.embed_images(photos)  # torch serves while the candidates are tried on these
    first.wait_for_backend_choice(timeout=300)
    choice = first.remembered_backend()
    assert choice is not None and choice.agreement >= MIN_AGREEMENT
    assert {"torch-fp32", "onnx-fp32", "onnx-int8"} <= set(choice.rates)
    assert choice.backend == max((n for n in choice.rates), key=choice.rates.get) or \
        choice.rates[choice.backend] > 0  # a faster one may have disagreed
    assert (first.info.backend, first.info.agreement) == (choice.backend, choice.agreement)
    expected = reference(tiny_weights, tmp_path, photos)
    assert agreement(first.embed_images(photos), expected) >= MIN_AGREEMENT

    monkeypatch.setattr(Embedder, "choose_backend", lambda *a: pytest.fail("measured twice"))
    again = embedder(tiny_weights, tmp_path)
    assert agreement(again.embed_images(photos), expected) >= MIN_AGREEMENT
    assert again.info.backend == choice.backend
    if choice.backend.startswith("onnx"):  # images in ONNX Runtime, text in numpy: no torch model
        assert again._model is None
        assert again.embed_texts(["a red circle"]).shape[1] == again.info.dimension


@pytest.mark.parametrize("name", ["onnx-int8", "onnx-fp32", "torch-fp32"])
def test_photofinder_backend_overrides_the_choice(tiny_weights, tmp_path, photos, monkeypatch, name):
    monkeypatch.setenv("PHOTOFINDER_BACKEND", name)
    chosen = embedder(tiny_weights, tmp_path)
    vectors = chosen.embed_images(photos)
    assert (chosen.info.backend, chosen._choosing) == (name, None)  # nothing measured
    assert agreement(vectors, reference(tiny_weights, tmp_path, photos)) >= MIN_AGREEMENT
    assert not (tmp_path / CHOICES_FILE).exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "description"])
def test_a_damaged_onnx_export_is_made_again(tiny_weights, tmp_path, photos, damage):
    embedder(tiny_weights, tmp_path, "onnx-int8").load()
    folder = next((tmp_path / "onnx").iterdir())
    int8 = folder / IMAGE_FILES["int8"]
    if damage == "garbage":  # same size, so only opening it shows the damage
        int8.write_bytes(b"\x00not onnx" * (int8.stat().st_size // 9) + b"\x00" * (int8.stat().st_size % 9))
    elif damage == "truncated":
        int8.write_bytes(int8.read_bytes()[:1000])
    else:
        (folder / META_FILE).write_text("{")
    rebuilt = embedder(tiny_weights, tmp_path, "onnx-int8")
    vectors = rebuilt.embed_images(photos)
    assert rebuilt.info.backend == "onnx-int8"
    assert agreement(vectors, reference(tiny_weights, tmp_path, photos)) >= MIN_AGREEMENT
    assert json.loads((folder / META_FILE).read_text())["files"][int8.name] == int8.stat().st_size


def test_a_remembered_choice_whose_files_are_gone_is_measured_again(
        tiny_weights, tmp_path, photos, monkeypatch):
    monkeypatch.delenv("PHOTOFINDER_BACKEND")
    first = embedder(tiny_weights, tmp_path)
    first.embed_images(photos)
    first.wait_for_backend_choice(timeout=300)
    choice = first.remembered_backend()
    if not choice.backend.startswith("onnx"):
        pytest.skip(f"{choice.backend} won here; nothing of ONNX to damage")
    (next((tmp_path / "onnx").iterdir()) / IMAGE_FILES[choice.precision]).write_bytes(b"broken")
    again = embedder(tiny_weights, tmp_path)
    again.embed_images(photos)  # torch serves, and measures again
    assert again.info.backend.startswith("torch")
    again.wait_for_backend_choice(timeout=300)
    assert again.remembered_backend() is not None

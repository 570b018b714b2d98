"""Text queries in numpy: the same tokens and vectors as open_clip, and no torch at launch."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from test_clip_tokenizer import TRICKY_TEXTS

from photofinder.embedder import Embedder, ModelSpec, register_model_configs
from photofinder.hardware import Placement
from photofinder.text_tower import CONFIG_FILE, TextTower, export
from photofinder_testing.tinymodel import MODEL_NAME


def open_clip_model(arch: str):
    import open_clip

    register_model_configs()
    return open_clip.create_model(arch).eval(), open_clip.get_tokenizer(arch)


def reference_vectors(model, tokenizer, texts) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return torch.nn.functional.normalize(model.encode_text(tokenizer(texts)), dim=-1).numpy()


@pytest.mark.parametrize("arch", ["ViT-B-32", "MobileCLIP2-S0"])  # causal; bidirectional
def test_exported_tower_gives_open_clips_vectors(arch, tmp_path):
    model, tokenizer = open_clip_model(arch)
    assert export(model, tokenizer, tmp_path / "tower")
    tower = TextTower.open(tmp_path / "tower")
    cosines = np.sum(tower.embed(TRICKY_TEXTS) * reference_vectors(model, tokenizer, TRICKY_TEXTS), 1)
    assert cosines.min() >= 0.9999


def test_tiny_model_tower_gives_the_trained_models_vectors(tiny_weights, tmp_path):
    import torch

    embedder = Embedder(ModelSpec(MODEL_NAME, weights=str(tiny_weights)), tmp_path,
                        Placement("cpu", "fp32", 16))
    embedder.load()  # saves the tower and drops the torch model's text half
    assert (embedder.text_tower_folder / CONFIG_FILE).is_file()
    assert not hasattr(embedder._model, "token_embedding")
    model, tokenizer = open_clip_model(MODEL_NAME)
    model.load_state_dict(torch.load(tiny_weights, weights_only=True))
    captions = [f"a {c} {s}" for c in ("red", "green", "blue") for s in ("circle", "square")]
    np.testing.assert_allclose(embedder.embed_texts(captions),
                               reference_vectors(model, tokenizer, captions), atol=1e-5)


def test_a_later_start_answers_text_without_torch(tiny_weights, tmp_path):
    spec = ModelSpec(MODEL_NAME, weights=str(tiny_weights))
    first = Embedder(spec, tmp_path, Placement("cpu", "fp32", 16))
    expected = first.embed_texts(["a blue triangle"])
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from photofinder.embedder import Embedder, ModelSpec
        embedder = Embedder(ModelSpec({MODEL_NAME!r}, weights={str(tiny_weights)!r}), Path({str(tmp_path)!r}))
        vector = embedder.embed_texts(["a blue triangle"])[0]
        print(json.dumps({{"torch": "torch" in sys.modules, "vector": vector.tolist()}}))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", script], check=True,
                                    capture_output=True, text=True).stdout)
    assert out["torch"] is False
    np.testing.assert_allclose(out["vector"], expected[0], atol=1e-6)


def test_a_damaged_tower_is_replaced_by_the_model(tiny_weights, tmp_path):
    spec = ModelSpec(MODEL_NAME, weights=str(tiny_weights))
    first = Embedder(spec, tmp_path, Placement("cpu", "fp32", 16))
    expected = first.embed_texts(["a green star"])
    tower = first.text_tower_folder
    (tower / "in_weight.npy").write_bytes(b"\x93NUMPY truncated")
    again = Embedder(spec, tmp_path, Placement("cpu", "fp32", 16))
    np.testing.assert_allclose(again.embed_texts(["a green star"]), expected, atol=1e-6)
    assert again.is_loaded  # fell back to the whole model, which saved a sound tower again
    assert TextTower.open(tower) is not None


def test_an_unknown_text_tower_keeps_torch(tmp_path):
    import torch

    model, tokenizer = open_clip_model(MODEL_NAME)
    model.transformer.resblocks[0].mlp.gelu = torch.nn.ReLU()
    assert not export(model, tokenizer, tmp_path / "tower")
    assert not (tmp_path / "tower").exists()


def test_random_weights_are_never_saved(tmp_path):
    embedder = Embedder(ModelSpec(MODEL_NAME, pretrained="random"), tmp_path)
    assert embedder.text_tower_folder is None
    assert embedder.embed_texts(["a red circle"]).shape == (1, 64)


def test_a_saved_tower_needs_neither_torch_nor_open_clip(tiny_weights, tmp_path):
    """It keeps its own copy of the vocabulary: a runtime without them (a bundle) uses it."""
    first = Embedder(ModelSpec(MODEL_NAME, weights=str(tiny_weights)), tmp_path,
                     Placement("cpu", "fp32", 16))
    expected = first.embed_texts(["a blue triangle", "Ça va, café?"])
    script = textwrap.dedent(f"""
        import json, sys
        sys.modules.update(torch=None, open_clip=None)  # as if not installed
        from pathlib import Path
        from photofinder.text_tower import TextTower
        tower = TextTower.open(Path({str(first.text_tower_folder)!r}))
        print(json.dumps(tower.embed(["a blue triangle", "Ça va, café?"]).tolist()))
    """)
    out = json.loads(subprocess.run([sys.executable, "-c", script], check=True,
                                    capture_output=True, text=True).stdout)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_a_changed_model_never_uses_the_old_models_tower(tiny_weights, tmp_path):
    import torch

    old = Embedder(ModelSpec(MODEL_NAME, weights=str(tiny_weights)), tmp_path,
                   Placement("cpu", "fp32", 16))
    old_vector = old.embed_texts(["a red circle"])
    state = torch.load(tiny_weights, weights_only=True)
    state["text_projection"] = state["text_projection"].flip(1)  # another model, same shapes
    changed = tmp_path / "retrained.pt"
    torch.save(state, changed)
    new = Embedder(ModelSpec(MODEL_NAME, weights=str(changed)), tmp_path, Placement("cpu", "fp32", 16))
    assert new.text_tower_folder != old.text_tower_folder
    model, tokenizer = open_clip_model(MODEL_NAME)
    model.load_state_dict(state)
    expected = reference_vectors(model, tokenizer, ["a red circle"])
    np.testing.assert_allclose(new.embed_texts(["a red circle"]), expected, atol=1e-5)
    assert not np.allclose(expected, old_vector, atol=1e-3)

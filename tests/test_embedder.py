"""The embedder: weights, run-time precision, normalised vectors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photofinder.embedder import Embedder, ModelSpec
from photofinder.errors import ModelError
from photofinder.hardware import Placement, cpu_has_fast_bf16, pick_placement
from photofinder_testing.tinymodel import MODEL_NAME


def embedder_for(weights, tmp_path, precision: str) -> Embedder:
    return Embedder(ModelSpec(MODEL_NAME, weights=str(weights)), tmp_path,
                    Placement("cpu", precision, 16))


def pictures() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (80, 100, 3), dtype=np.uint8)) for _ in range(3)]


def test_vectors_are_unit_length_and_shared_between_text_and_images(tiny_weights, tmp_path):
    embedder = embedder_for(tiny_weights, tmp_path, "fp32")
    images = embedder.embed_images(pictures())
    texts = embedder.embed_texts(["a red circle", "a blue square"])
    assert images.shape == (3, embedder.info.dimension) == (3, texts.shape[1])
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)


@pytest.mark.skipif(not cpu_has_fast_bf16(), reason="this CPU has no native bf16")
def test_bf16_is_used_only_when_it_agrees_with_fp32(tiny_weights, tmp_path):
    reference = embedder_for(tiny_weights, tmp_path, "fp32")
    reduced = embedder_for(tiny_weights, tmp_path, "bf16")
    reduced.load()
    if reduced.info.precision == "bf16":
        agreement = np.sum(reference.embed_images(pictures()) * reduced.embed_images(pictures()), 1)
        assert agreement.min() >= 0.999
    else:  # the check fell back: then it must really compute in fp32
        np.testing.assert_allclose(reduced.embed_images(pictures()),
                                   reference.embed_images(pictures()), atol=1e-5)


def test_precision_check_runs_once_per_model_and_machine(tiny_weights, tmp_path, monkeypatch):
    first = embedder_for(tiny_weights, tmp_path, "bf16")
    first.load()
    monkeypatch.setattr(Embedder, "_agreement", lambda *a: pytest.fail("checked twice"))
    again = embedder_for(tiny_weights, tmp_path, "bf16")
    again.load()
    assert again.info.precision == first.info.precision
    (tmp_path / "precision-checks.json").write_text("{not json")  # damaged: checks again
    monkeypatch.setattr(Embedder, "_agreement", lambda *a: 0.5)
    assert embedder_for(tiny_weights, tmp_path, "bf16").load().precision == "fp32"


def test_a_weights_file_gives_exactly_its_weights(tiny_weights, tmp_path):
    """Random initialisation is skipped under a weights file: nothing may be left unfilled."""
    import open_clip
    import torch

    from photofinder.embedder import register_model_configs

    register_model_configs()
    model = open_clip.create_model(MODEL_NAME)
    model.load_state_dict(torch.load(tiny_weights, weights_only=True))
    model.eval()
    tokenizer = open_clip.get_tokenizer(MODEL_NAME)
    with torch.inference_mode():
        expected = torch.nn.functional.normalize(model.encode_text(tokenizer(["a red circle"])), dim=-1)
    embedder = embedder_for(tiny_weights, tmp_path, "fp32")
    np.testing.assert_allclose(embedder.embed_texts(["a red circle"]), expected.numpy(), atol=1e-6)
    loaded = dict(embedder._model.state_dict())
    expected_weights = model.state_dict()
    assert {name for name in expected_weights if name.startswith("visual.")} <= set(loaded)
    for name, tensor in loaded.items():  # the text half is dropped: its tower answers text
        assert torch.equal(expected_weights[name], tensor), name


def test_precision_follows_the_hardware_and_the_environment(monkeypatch):
    monkeypatch.setenv("PHOTOFINDER_DEVICE", "cpu")
    monkeypatch.delenv("PHOTOFINDER_PRECISION", raising=False)
    assert pick_placement().precision == ("bf16" if cpu_has_fast_bf16() else "fp32")
    monkeypatch.setenv("PHOTOFINDER_PRECISION", "fp32")
    assert pick_placement() == Placement("cpu", "fp32", 32)
    monkeypatch.setenv("PHOTOFINDER_PRECISION", "int3")
    assert pick_placement().precision in ("fp32", "bf16")


def test_model_id_names_the_weights_file(tiny_weights, tmp_path):
    spec = ModelSpec(MODEL_NAME, weights=str(tiny_weights))
    assert spec.model_id.startswith(f"{MODEL_NAME}/file-")
    copy = tmp_path / "same.pt"
    copy.write_bytes(tiny_weights.read_bytes())
    assert ModelSpec(MODEL_NAME, weights=str(copy)).model_id == spec.model_id
    assert ModelSpec("ViT-B-32", "laion2b_s34b_b79k").model_id == "ViT-B-32/laion2b_s34b_b79k"


def test_missing_or_wrong_weights_give_one_clear_line(tiny_weights, tmp_path):
    with pytest.raises(ModelError, match="weights file not found"):
        Embedder(ModelSpec(MODEL_NAME, weights=str(tmp_path / "gone.pt")), tmp_path).load()
    with pytest.raises(ModelError, match="cannot load ViT-B-32 weights"):
        Embedder(ModelSpec("ViT-B-32", weights=str(tiny_weights)), tmp_path).load()
    with pytest.raises(ModelError, match="needs weights"):
        Embedder(ModelSpec(MODEL_NAME), tmp_path).load()


@pytest.fixture
def tiny_as_pretrained(monkeypatch):
    """The tiny model listed as if open_clip knew pretrained weights for it on the Hub."""
    from open_clip import pretrained

    monkeypatch.setitem(pretrained._PRETRAINED, MODEL_NAME,
                        {"shapes": pretrained._pcfg(hf_hub="photofinder/tiny-shapes/")})
    return ModelSpec(MODEL_NAME, "shapes")


def test_a_hand_fetched_weights_file_is_checked_then_used_like_a_download(
        tiny_weights, tiny_as_pretrained, tmp_path):
    assert tiny_weights.suffix == ".pt"  # a torch pickle: it goes under the .bin name
    embedder = Embedder(tiny_as_pretrained, tmp_path / "models", Placement("cpu", "fp32", 16))
    installed = embedder.install_weights_file(tiny_weights)
    assert installed == tmp_path / "models" / MODEL_NAME / "shapes" / "open_clip_pytorch_model.bin"
    assert installed.read_bytes() == tiny_weights.read_bytes()
    assert embedder.load().model_id == f"{MODEL_NAME}/shapes"  # found where a download goes


def test_a_hand_fetched_file_of_another_model_or_checksum_is_refused(
        tiny_weights, tiny_as_pretrained, tmp_path):
    import hashlib

    embedder = Embedder(tiny_as_pretrained, tmp_path / "models", Placement("cpu", "fp32", 16))
    wrong = tmp_path / "other.bin"
    wrong.write_bytes(b"not a state dict")
    with pytest.raises(ModelError, match=f"cannot load {MODEL_NAME} weights"):
        embedder.install_weights_file(wrong)
    folder = tmp_path / "models" / MODEL_NAME / "shapes"
    folder.mkdir(parents=True)
    (folder / "open_clip_pytorch_model.bin.sha256").write_text(hashlib.sha256(b"published").hexdigest())
    with pytest.raises(ModelError, match="SHA-256 differs"):
        embedder.install_weights_file(tiny_weights)
    assert not any(p.suffix in (".bin", ".safetensors") for p in folder.iterdir())


def test_a_released_model_loads_again_for_the_next_photos(tiny_weights, tmp_path):
    embedder = embedder_for(tiny_weights, tmp_path, "fp32")
    before = embedder.embed_images(pictures())
    info = embedder.info
    assert embedder.release()  # the text tower was saved on load: text needs no model
    assert not embedder.is_loaded and embedder.info == info
    texts = embedder.embed_texts(["a red circle"])
    assert not embedder.is_loaded  # text went through the saved tower
    np.testing.assert_allclose(embedder.embed_images(pictures()), before, atol=1e-6)
    assert embedder.is_loaded
    assert texts.shape == (1, info.dimension)


def test_without_a_saved_text_tower_the_model_is_kept(tmp_path):
    from photofinder.embedder import RANDOM_WEIGHTS

    embedder = Embedder(ModelSpec(MODEL_NAME, RANDOM_WEIGHTS), tmp_path, Placement("cpu", "fp32", 16))
    embedder.load()
    assert not embedder.release() and embedder.is_loaded
